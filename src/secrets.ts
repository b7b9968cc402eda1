/**
 * Masks secrets in messages before they are shown (--verbose) or stored
 * (--log). Pure. What counts as a secret:
 *
 *  - the `password` of set_password and change-vnc-password;
 *  - the `data` of `object-add qom-type=secret` (the secret itself);
 *  - the rest of an HMP command line after `set_password PROTOCOL`;
 *  - any member, at any depth, whose name contains "password" or "secret".
 */
import type { JsonValue } from './protocol/json.js';

export const MASK = '********';

const SECRET_NAME = /password|secret/i;
const HMP_SECRET = /^(\s*set_password\s+\S+\s+)(.*)$/s;

type Obj = { [key: string]: JsonValue };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function maskSecrets(message: JsonValue): JsonValue {
  const masked = maskMembers(message);
  if (!isObj(masked) || typeof masked.execute !== 'string' || !isObj(masked.arguments)) return masked;
  const args = masked.arguments;
  if (masked.execute === 'object-add' && args['qom-type'] === 'secret' && 'data' in args) {
    args.data = MASK;
  }
  if (masked.execute === 'human-monitor-command' && typeof args['command-line'] === 'string') {
    args['command-line'] = args['command-line'].replace(HMP_SECRET, `$1${MASK}`);
  }
  return masked;
}

/** A copy with every member named like a secret masked (set_password's `password` is one). */
function maskMembers(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(maskMembers);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [key, member] of Object.entries(value)) {
    const v = SECRET_NAME.test(key) && member !== null && typeof member !== 'boolean' ? MASK : maskMembers(member);
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A REPL line that would put a secret into the history file. */
export function lineHasSecret(line: string): boolean {
  return /(password|secret)[\w.-]*\s*[=:]|qom-type\s*[=:]\s*"?secret|^\s*!?\s*set_password\b|change-vnc-password/i.test(line);
}
