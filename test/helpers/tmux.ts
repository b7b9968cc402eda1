/**
 * Drives a program in a real pseudo-terminal through tmux: type keys, read
 * the screen. Each session has its own tmux server (-L), killed on close().
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class Tmux {
  private constructor(
    private readonly server: string,
    private readonly dir: string,
  ) {}

  /** Starts `argv` in a width x height terminal; env entries are added to the environment. */
  static start(argv: string[], env: Record<string, string> = {}, width = 120, height = 40): Tmux {
    const dir = mkdtempSync(join(tmpdir(), 'qmpsh-tmux-'));
    const server = `qmpsh-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const exports = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
    const exitFile = join(dir, 'exit');
    const command = `env ${exports} ${argv.map(quote).join(' ')}; echo $? > ${quote(exitFile)}; sleep 600`;
    execFileSync('tmux', ['-L', server, '-f', '/dev/null', 'new-session', '-d', '-s', 'test', '-x', String(width), '-y', String(height), command]);
    return new Tmux(server, dir);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.server, ...args], { encoding: 'utf8' });
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.tmux('send-keys', '-t', 'test', '-l', text);
  }

  /** Sends key names: Enter, Tab, C-c, C-d, C-r, Up, ... */
  keys(...names: string[]): void {
    this.tmux('send-keys', '-t', 'test', ...names);
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', 'test');
  }

  /** The screen with its colours and attributes as escape sequences (capture-pane -e). */
  screenWithEscapes(): string {
    return this.tmux('capture-pane', '-p', '-e', '-t', 'test');
  }

  /** The pane's title (what an OSC 0/2 sequence would have changed). */
  title(): string {
    return this.tmux('display-message', '-p', '-t', 'test', '#{pane_title}').trim();
  }

  /** The pid of the pane's process (the shell that runs the program). */
  panePid(): number {
    return Number(this.tmux('display-message', '-p', '-t', 'test', '#{pane_pid}').trim());
  }

  /** The screen's non-empty lines. */
  lines(): string[] {
    return this.screen().split('\n').filter((l) => l.trim() !== '');
  }

  async waitFor(pattern: RegExp, timeoutMs = 8000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`screen never matched ${pattern}:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Resolves with the program's exit status once it has ended. */
  async exitCode(timeoutMs = 8000): Promise<number> {
    const file = join(this.dir, 'exit');
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(file) || readFileSync(file, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error(`program did not exit:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return Number(readFileSync(file, 'utf8').trim());
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function requireTmux(): void {
  try {
    execFileSync('tmux', ['-V']);
  } catch {
    throw new Error('tmux is needed by the REPL tests: apt-get install tmux (scripts/install-deps.sh does)');
  }
}

/** A shell the completion tests drive for real: missing is a failure, never a skip. */
export function requireShell(shell: 'bash' | 'zsh' | 'fish'): void {
  try {
    execFileSync(shell, ['-c', 'exit 0'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${shell} is needed by the shell completion tests: apt-get install ${shell} (scripts/install-deps.sh does)`);
  }
}
