/**
 * --log FILE: every message sent and received as NDJSON,
 *   {"time": "2026-11-25T03:31:44.058Z", "dir": "out"|"in", "msg": {...}}
 * with `"internal": true` (before "msg") on qmpsh's own look-ups (schema,
 * completion, progress), which -v marks too (core/session.ts wireLine),
 * appended to a file created with mode 0600. A log holds whatever the monitor
 * says, so the file must be one only its owner can read: never opened through
 * a symlink (O_NOFOLLOW), a regular file (a FIFO would block the open, or
 * hand the log to whoever reads it), ours, and readable by nobody else. An
 * existing file that is not is refused rather than changed: qmpsh never
 * widens, nor silently alters, what another user can read.
 */
import fs from 'node:fs';
import { UsageError } from '../../errors.js';
import type { WireMessage } from '../../session.js';
import { compactJson } from '../output/format.js';

export interface WireLog {
  /** `target`: with several targets, which one the message belongs to. */
  write(message: WireMessage, target?: string): void;
  close(): void;
}

export function openWireLog(path: string): WireLog {
  const fd = openPrivate(path);
  // Many small appends: collect them and write once per tick.
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    fs.writeSync(fd, text);
  };
  return {
    write(message, target) {
      const tag = target === undefined ? '' : `"target":${compactJson(target)},`;
      const own = message.internal ? '"internal":true,' : '';
      pending.push(
        `{"time":"${new Date().toISOString()}",${tag}"dir":"${message.direction}",${own}"msg":${compactJson(message.value)}}\n`,
      );
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close() {
      flush();
      fs.closeSync(fd);
    },
  };
}

/** Opens (or creates, 0600) a regular file of ours that nobody else can read or write; else UsageError. */
function openPrivate(path: string): number {
  const refuse = (why: string, cause?: unknown) =>
    new UsageError(`cannot open the log file ${path}: ${why}`, cause === undefined ? undefined : { cause });
  let fd: number;
  try {
    const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
    // O_NONBLOCK: opening a FIFO for writing would wait for a reader (forever).
    fd = fs.openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ELOOP'
        ? 'it is a symlink (refused: logs are never written through symlinks)'
        : code === 'ENOENT'
          ? 'its directory does not exist'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'it is a directory'
              : code === 'ENXIO'
                ? 'it is a FIFO, not a regular file (refused)'
                : ((err as Error).message ?? String(err));
    throw refuse(why, err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw refuse(`it is ${kindOf(st)}, not a regular file (refused)`);
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw refuse(`it belongs to another user (uid ${st.uid}): refused, a log holds what the monitor says`);
    }
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw refuse(
        `other users may read or write it (mode ${mode}): refused, a log holds what the monitor says; ` +
          `chmod 600 it, or give a new file (created 0600)`,
      );
    }
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}
