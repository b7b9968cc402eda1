/**
 * REPL history in $XDG_STATE_HOME/qmpsh/history (default
 * ~/.local/state/qmpsh/history): one entry per line, appended as each line is
 * entered (so sessions share it), mode 0600, never opened through a symlink,
 * bounded to MAX_ENTRIES (trimmed on start when it grew past twice that).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const MAX_ENTRIES = 1000;

export function historyPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)
    ? env.XDG_STATE_HOME
    : path.join(env.HOME ?? os.homedir(), '.local', 'state');
  return path.join(base, 'qmpsh', 'history');
}

export interface History {
  /** Newest first, as node:readline wants it. */
  entries: string[];
  add(line: string): void;
  /** Why the file could not be used, if it could not (the REPL then keeps history in memory). */
  problem: string | undefined;
}

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_RDONLY } = fs.constants;

export function openHistory(file: string): History {
  let entries: string[] = [];
  let problem: string | undefined;
  let fd: number | undefined;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    entries = readEntries(file);
    if (entries.length > 2 * MAX_ENTRIES) rewrite(file, entries.slice(-MAX_ENTRIES));
    fd = fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
    // An existing file keeps its mode on open: make sure nobody else can read it.
    fs.fchmodSync(fd, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problem = `history not saved (${file}: ${code === 'ELOOP' ? 'a symlink, refused' : (code ?? String(err))})`;
    fd = undefined;
  }
  let last = entries[entries.length - 1];
  const history: History = {
    entries: entries.slice(-MAX_ENTRIES).reverse(),
    problem,
    add(line) {
      const entry = line.replace(/\n/g, ' ').trim();
      // (entries is readline's own array, already holding this line: compare with our last write)
      if (!entry || entry === last) return;
      last = entry;
      if (fd !== undefined) {
        try {
          fs.writeSync(fd, `${entry}\n`);
        } catch {
          fd = undefined;
        }
      }
    },
  };
  return history;
}

function readEntries(file: string): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    return fs.readFileSync(fd, 'utf8').split('\n').filter((l) => l.trim() !== '');
  } finally {
    fs.closeSync(fd);
  }
}

function rewrite(file: string, entries: string[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${entries.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, file);
}
