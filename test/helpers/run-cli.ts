/**
 * Runs the built CLI as a child process: bin/qmpsh.cjs (-> dist/cli.cjs)
 * under this Node, or, when QMPSH_TEST_BIN names one, that executable (the
 * single file from `npm run build:single`, which needs no Node).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The npm package's entry, bin/qmpsh.cjs. */
export const PACKAGE_BIN = fileURLToPath(new URL('../../bin/qmpsh.cjs', import.meta.url));

/**
 * QMPSH_TEST_BIN=/path/to/qmpsh-linux-x64: the single-file executable under
 * test, or undefined when the tests run the npm package. Tests of what only
 * the package has (its library, dist/ files, the V8 code cache, Node's
 * --require hooks) skip when it is set, each saying so in its name.
 */
export const SINGLE_FILE: string | undefined = process.env.QMPSH_TEST_BIN || undefined;
if (SINGLE_FILE && !(isAbsolute(SINGLE_FILE) && existsSync(SINGLE_FILE))) {
  throw new Error(`QMPSH_TEST_BIN=${SINGLE_FILE}: not an absolute path to an existing file (npm run build:single makes build/qmpsh-linux-x64)`);
}

/** The executable the tests run: the single file, or bin/qmpsh.cjs (which runs by its shebang). */
export const BIN = SINGLE_FILE ?? PACKAGE_BIN;

/** The command line that starts the CLI, before its arguments: [node, bin/qmpsh.cjs] or [the single file]. */
export const CLI: readonly [string, ...string[]] = SINGLE_FILE ? [SINGLE_FILE] : [process.execPath, PACKAGE_BIN];

/** spawn()'s first two arguments for the CLI with `args`. */
function cliSpawnArgs(args: readonly string[]): [string, string[]] {
  return [CLI[0], [...CLI.slice(1), ...args]];
}

/** The CLI's command line, quoted for sh -c. */
export const CLI_SHELL = CLI.map((s) => `'${s.replace(/'/g, `'\\''`)}'`).join(' ');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Kill the child after this long (a hang is a failure, not a stuck suite). */
  killAfterMs?: number;
  cwd?: string;
}

export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const env = { ...process.env, ...options.env };
  if (!options.env || !('FORCE_COLOR' in options.env)) delete env.FORCE_COLOR;
  if (!options.env || !('NO_COLOR' in options.env)) delete env.NO_COLOR;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(...cliSpawnArgs(args), { env, stdio: 'pipe', ...(options.cwd ? { cwd: options.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}
