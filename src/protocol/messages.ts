/**
 * Shapes of QMP messages (docs/interop/qmp-spec.rst) and one classifier that
 * every received message goes through. Pure.
 */
import { ProtocolError } from '../errors.js';
import type { JsonValue } from './json.js';

export type JsonObject = { [key: string]: JsonValue };

/** qmp-spec "Server Greeting": {"QMP": {"version": ..., "capabilities": [...]}} */
export interface Greeting {
  QMP: {
    version: {
      qemu: { major: number; minor: number; micro: number };
      package: string;
    };
    capabilities: string[];
  };
}

/** qmp-spec "Success": {"return": json-value, "id": json-value} */
export interface ReturnMessage {
  return: JsonValue;
  id?: JsonValue;
}

/** qmp-spec "Error": {"error": {"class": str, "desc": str}, "id": json-value} */
export interface ErrorMessage {
  error: { class: string; desc: string };
  id?: JsonValue;
}

/** qmp-spec "Asynchronous events" */
export interface EventMessage {
  event: string;
  data?: JsonObject;
  timestamp: { seconds: number; microseconds: number };
}

export interface Request {
  execute: string;
  arguments?: JsonObject;
  id?: JsonValue;
}

export type Classified =
  | { kind: 'greeting'; message: Greeting }
  | { kind: 'return'; message: ReturnMessage }
  | { kind: 'error'; message: ErrorMessage }
  | { kind: 'event'; message: EventMessage };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Throws ProtocolError for anything that is not one of the four server messages. */
export function classify(value: JsonValue): Classified {
  if (!isObject(value)) {
    throw new ProtocolError(`the server sent JSON that is not an object: ${brief(value)}`);
  }
  if ('return' in value) return { kind: 'return', message: value as unknown as ReturnMessage };
  if ('error' in value) {
    const err = value.error;
    if (!isObject(err) || typeof err.class !== 'string' || typeof err.desc !== 'string') {
      throw new ProtocolError(`the server sent a malformed error reply: ${brief(value)}`);
    }
    return { kind: 'error', message: value as unknown as ErrorMessage };
  }
  if (typeof value.event === 'string') {
    return { kind: 'event', message: value as unknown as EventMessage };
  }
  if ('QMP' in value) {
    if (!isGreeting(value)) {
      throw new ProtocolError(`the server sent a malformed greeting: ${brief(value)}`);
    }
    return { kind: 'greeting', message: value };
  }
  throw new ProtocolError(`the server sent a message QMP does not define: ${brief(value)}`);
}

/**
 * qmp-spec "Server Greeting": version is query-version's VersionInfo
 * (qapi/control.json: qemu {major, minor, micro} ints, package str) and
 * capabilities a list of QMPCapability names. Everything qmpsh later builds
 * from these (the banner, the schema cache's names) relies on these types, so
 * any other shape is the peer's fault, found here. Members QEMU may add later
 * are allowed.
 */
function isGreeting(value: JsonObject): value is JsonObject & Greeting {
  const qmp = value.QMP;
  if (!isObject(qmp)) return false;
  const caps = qmp.capabilities;
  if (!Array.isArray(caps) || !caps.every((c) => typeof c === 'string')) return false;
  const version = qmp.version;
  if (!isObject(version) || typeof version.package !== 'string') return false;
  const qemu = version.qemu;
  return isObject(qemu) && isVersionNumber(qemu.major) && isVersionNumber(qemu.minor) && isVersionNumber(qemu.micro);
}

const isVersionNumber = (v: JsonValue | undefined): boolean =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function greetingVersion(greeting: Greeting): string {
  const q = greeting.QMP.version.qemu;
  const pkg = greeting.QMP.version.package;
  return `${q.major}.${q.minor}.${q.micro}${pkg ? ` (${pkg.trim()})` : ''}`;
}

function brief(value: JsonValue): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
