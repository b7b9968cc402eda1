/**
 * --log FILE: every message sent and received as NDJSON,
 *   {"time": "2026-11-25T03:31:44.058Z", "dir": "out"|"in", "msg": {...}}
 * appended to a file created with mode 0600 and never opened through a
 * symlink (O_NOFOLLOW): a log holds whatever the monitor says.
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
  let fd: number;
  try {
    const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
    fd = fs.openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ELOOP'
        ? 'it is a symlink (refused: logs are never written through symlinks)'
        : code === 'ENOENT'
          ? 'its directory does not exist'
          : code === 'EACCES'
            ? 'permission denied'
            : ((err as Error).message ?? String(err));
    throw new UsageError(`cannot open the log file ${path}: ${why}`, { cause: err });
  }
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
      pending.push(
        `{"time":"${new Date().toISOString()}",${tag}"dir":"${message.direction}","msg":${compactJson(message.value)}}\n`,
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
