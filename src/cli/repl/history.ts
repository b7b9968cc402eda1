/**
 * REPL history in $XDG_STATE_HOME/qmpsh/history (default
 * ~/.local/state/qmpsh/history): one entry per line, appended as each line is
 * entered (so sessions share it), mode 0600, never opened through a symlink,
 * bounded to MAX_ENTRIES (trimmed on start when it grew past twice that).
 *
 * Several shells share the file. A trim writes a new file and renames it
 * over the old one; an append through a descriptor opened before that would
 * land in the old, unlinked file and be lost. So every append opens the file
 * by its name, and appends and trims hold a lock (`history.lock`, created
 * O_EXCL, holding the holder's pid): a trim never drops a line appended after
 * it read the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const MAX_ENTRIES = 1000;

/** How long an append or trim waits for another shell's lock before it goes on without it. */
const LOCK_WAIT_MS = 1000;
/** A lock older than this is a leftover of a shell that died holding it. */
const LOCK_STALE_MS = 10_000;

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

const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = fs.constants;

export function openHistory(file: string): History {
  let entries: string[] = [];
  let problem: string | undefined;
  let usable = true;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    underLock(file, (locked) => {
      entries = readEntries(file);
      // Only under the lock: another shell's append must not fall between the read and the rename.
      if (locked && entries.length > 2 * MAX_ENTRIES) rewrite(file, entries.slice(-MAX_ENTRIES));
      const fd = openForAppend(file);
      try {
        // An existing file keeps its mode on open: make sure nobody else can read it.
        fs.fchmodSync(fd, 0o600);
      } finally {
        fs.closeSync(fd);
      }
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problem = `history not saved (${file}: ${code === 'ELOOP' ? 'a symlink, refused' : (code ?? String(err))})`;
    usable = false;
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
      if (!usable) return;
      try {
        underLock(file, () => {
          const fd = openForAppend(file);
          try {
            fs.writeSync(fd, `${entry}\n`);
          } finally {
            fs.closeSync(fd);
          }
        });
      } catch {
        usable = false;
      }
    },
  };
  return history;
}

function openForAppend(file: string): number {
  return fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
}

/**
 * Runs `work` holding the history's lock; `locked` is false when another
 * shell held it longer than LOCK_WAIT_MS (a shell stopped with its lock held):
 * then an append goes on without it rather than stall this shell, and a
 * trim waits for another start.
 */
function underLock(file: string, work: (locked: boolean) => void): void {
  const lock = `${file}.lock`;
  const locked = acquire(lock);
  try {
    work(locked);
  } finally {
    if (locked) fs.rmSync(lock, { force: true });
  }
}

function acquire(lock: string): boolean {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        fs.writeSync(fd, String(process.pid));
      } finally {
        fs.closeSync(fd);
      }
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isStale(lock)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() >= deadline) return false;
    // A lock is held for one append or one trim: a few ms.
    sleepSync(Math.min(2 + attempt, 20));
  }
}

/** Held by a process that is gone, or for far longer than any append or trim takes. */
function isStale(lock: string): boolean {
  try {
    const st = fs.lstatSync(lock);
    if (Date.now() - st.mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number(fs.readFileSync(lock, 'utf8'));
    if (!Number.isSafeInteger(pid) || pid <= 0) return false; // being written: give it a moment
    process.kill(pid, 0);
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ESRCH'; // ENOENT: released meanwhile, try again; EPERM: alive
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
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
  fs.rmSync(tmp, { force: true }); // a leftover of a shell (with our pid) that died mid-trim
  fs.writeFileSync(tmp, `${entries.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, file);
}
