/**
 * Runs a snippet of ESM in a fresh Node process with the built library
 * (dist/lib) imported as QmpClient, for what only a whole process shows:
 * that it ends by itself (no timer or socket left), what reached
 * uncaughtException. A child that would hang is killed after a generous
 * limit, and says so (`killed`): no timing threshold beyond that.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LIB = fileURLToPath(new URL('../../dist/lib/index.js', import.meta.url));
/** Far beyond what a child needs; only a child that would hang reaches it. */
export const KILL_AFTER_MS = 20_000;

export interface ChildResult {
  killed: boolean;
  code: number | null;
  /** stdout's non-empty lines (say() writes one per value). */
  lines: string[];
  stderr: string;
}

/**
 * `body` runs as the body of an ES module with, in scope: QmpClient, socket
 * (the path given), say(x) (a line on stdout; non-strings as JSON) and
 * holding() (the active resources keeping the loop alive, stdio excepted).
 */
export function runChild(body: string, socket: string): Promise<ChildResult> {
  const source = `
    import { QmpClient } from ${JSON.stringify(LIB)};
    const socket = ${JSON.stringify(socket)};
    const say = (x) => console.log(typeof x === 'string' ? x : JSON.stringify(x));
    const holding = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
    ${body}
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ killed, code, lines: stdout.trim().split('\n').filter(Boolean), stderr });
    });
  });
}
