/**
 * HMP through `human-monitor-command`. HMP reports failures as ordinary text in
 * a successful reply (QMP-NOTES "Session" 7), e.g. seen on QEMU 7.2:
 *
 *   "unknown command: 'nosuch'\r\n"
 *   "Error: Device 'x' not found\r\n"
 *   "drive_add: string expected\r\nTry \"help drive_add\" for more information\r\n"
 *
 * so the text is checked for those shapes.
 */
import { HmpError } from './errors.js';
import type { QmpClient, ExecuteOptions } from './session.js';

const HMP_ERROR_PATTERNS: readonly RegExp[] = [
  /^unknown command: /,
  /^Error: /m,
  /^Try "help [^"]*" for more information/m,
];

/** True when HMP's output is one of its error reports. */
export function isHmpError(text: string): boolean {
  return HMP_ERROR_PATTERNS.some((re) => re.test(text));
}

/** The HMP command line makes QEMU exit (`quit`, or its abbreviation `q`). */
export function isQuitHmp(commandLine: string): boolean {
  return /^\s*(q|quit)\s*$/.test(commandLine);
}

/** Runs an HMP command line and returns its text; HmpError when HMP reports an error. */
export async function runHmp(
  client: QmpClient,
  commandLine: string,
  options: ExecuteOptions = {},
): Promise<string> {
  const quits = isQuitHmp(commandLine);
  const value = await client.execute(
    'human-monitor-command',
    { 'command-line': commandLine },
    { expectsClose: quits, ...options },
  );
  const text = typeof value === 'string' ? value.replace(/\r\n/g, '\n') : '';
  if (isHmpError(text)) throw new HmpError(commandLine, text.trimEnd());
  return text;
}
