/**
 * Is anyone still reading our stdout pipe? A writer learns that its reader
 * left (`qmpsh SOCK --events | head -1`) only from its next write (EPIPE),
 * and on a quiet VM there may be none for hours, while the single-client
 * monitor stays held. Linux says it another way: a process reads the pipe
 * when one of its fds is that pipe (`/proc/PID/fd/N` -> `pipe:[INODE]`)
 * opened for reading (`/proc/PID/fdinfo/N` flags). No reader left means the
 * same as EPIPE.
 *
 * Only for an anonymous pipe on Linux, and only once a reader was seen:
 * one we may not see (another user's under hidepid, the host's end of a
 * container's stdout in another PID namespace) must never look like none.
 * After that, processes we may not look at are not taken for readers (for
 * a user, root's are never readable): the reader that was seen is gone, and
 * none of what we can see reads.
 * A reader not seen in the first few looks stops the watch. Cheap: the
 * reader found last time is asked first (one directory), the whole of /proc
 * only when it is gone.
 */
import fs from 'node:fs';

const O_ACCMODE = 3;
const O_WRONLY = 1;

/** 'pipe:[123]' for an anonymous pipe on fd, else undefined. */
function pipeOf(pid: number | 'self', fd: number | string): string | undefined {
  try {
    const link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    return link.startsWith('pipe:[') ? link : undefined;
  } catch {
    return undefined;
  }
}

type Found = { pid: number } | 'none' | 'unknown';

/** A process other than us holding `pipe` open for reading. */
function findReader(pipe: string, first: number | undefined): Found {
  const readsIt = (pid: number): boolean | undefined => {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ESRCH' ? false : undefined; // gone, or not ours to see
    }
    for (const fd of fds) {
      if (pipeOf(pid, fd) !== pipe) continue;
      try {
        const flags = /^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
        if (flags === undefined || (Number.parseInt(flags, 8) & O_ACCMODE) !== O_WRONLY) return true;
      } catch {
        // closed meanwhile
      }
    }
    return false;
  };
  if (first !== undefined && readsIt(first)) return { pid: first };
  let unknown = false;
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 'unknown';
  }
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid || pid === first) continue;
    const r = readsIt(pid);
    if (r) return { pid };
    if (r === undefined) unknown = true;
  }
  return unknown ? 'unknown' : 'none';
}

/**
 * Calls `gone` once when stdout is a pipe no one reads any more (its
 * reader seen, then gone), checking every `intervalMs` after a first
 * `delayMs` (a one-shot ends before it pays anything). Returns the function that stops watching. The timers do
 * not keep the process alive.
 */
export function watchStdoutReader(gone: () => void, delayMs = 250, intervalMs = 1000): () => void {
  if (process.platform !== 'linux') return () => {};
  const pipe = pipeOf('self', 1);
  if (!pipe) return () => {};
  let last: number | undefined;
  let unseen = 0;
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    timer = undefined;
    const found = findReader(pipe, last);
    if (typeof found === 'object') last = found.pid;
    else if (last === undefined) {
      // Never seen: maybe out of our sight. Look a few times, then leave it to EPIPE.
      if (++unseen >= 3) return;
    } else {
      // The reader we saw is gone and no process we may look at reads the
      // pipe. One we may not look at (root's PID 1 for a user) is not taken
      // for a reader: else a user's qmpsh would never see its reader leave.
      gone();
      return;
    }
    timer = setTimeout(check, intervalMs);
    timer.unref();
  };
  timer = setTimeout(check, delayMs);
  timer.unref();
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}
