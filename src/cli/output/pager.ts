/**
 * Long replies in the REPL go through a pager, as git does: `$QMPSH_PAGER`,
 * else `$PAGER`, else `less`; `cat` or an empty value means no pager. less
 * gets `LESS=FRX` unless the user set LESS (F: quit when the text fits, R:
 * our colours, X: the text stays on the screen after q), and `lv` gets
 * `LV=-c`. The text handed over is what io.out would write: inert, our SGR
 * colours only (output/io.ts calls this).
 */
import { spawn } from 'node:child_process';

/** The pager's command line (run by /bin/sh), or undefined for none. */
export function pagerCommand(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const command = (env.QMPSH_PAGER ?? env.PAGER ?? 'less').trim();
  return command === '' || command === 'cat' ? undefined : command;
}

/** How many terminal rows `text` takes at `columns` (long lines wrap; SGR takes no room). */
export function screenRows(text: string, columns: number): number {
  const width = Math.max(1, columns);
  return text.split('\n').reduce((rows, line) => {
    const visible = line.replace(/\x1b\[[0-9;]*m/g, '').length;
    return rows + Math.max(1, Math.ceil(visible / width));
  }, 0);
}

/**
 * Runs the pager on `text` and resolves when it has exited (whatever its
 * status: a pager that fails to start leaves the text unshown, so it is
 * reported as false and the caller prints it instead).
 */
export function runPager(command: string, text: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { ...env, LESS: env.LESS ?? 'FRX', LV: env.LV ?? '-c' },
    });
    let started = false;
    child.on('spawn', () => (started = true));
    // A pager quit before reading everything (q on the first page): not an error.
    child.stdin.on('error', () => {});
    child.on('error', () => resolve(false));
    // 127: the shell did not find the command.
    child.on('close', (code) => resolve(started && code !== 127));
    child.stdin.end(text);
  });
}
