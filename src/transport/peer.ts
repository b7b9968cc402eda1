/**
 * Why does a Unix socket that accepted our connection stay silent? A monitor
 * held by another client and a QEMU stopped with SIGSTOP look the same on the
 * wire (the connection waits in the kernel's backlog either way). On Linux,
 * when we may look, /proc tells them apart: the process that listens on the
 * socket, and whether it is stopped. Best effort: anything unreadable is
 * 'unknown'.
 */
import fs from 'node:fs';
import path from 'node:path';

export type PeerState = { kind: 'stopped' | 'running'; pid: number } | { kind: 'unknown' };

const SO_ACCEPTCON = 0x10000;

export function listenerState(socketPath: string): PeerState {
  try {
    // /proc/net/unix has the path QEMU bound: follow symlinks to it.
    let wanted = path.resolve(socketPath);
    try {
      wanted = fs.realpathSync(socketPath);
    } catch {
      // keep the resolved path
    }
    const inode = fs
      .readFileSync('/proc/net/unix', 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .find((f) => f[7] === wanted && (parseInt(f[3] ?? '0', 16) & SO_ACCEPTCON) !== 0)?.[6];
    if (!inode) return { kind: 'unknown' };
    const link = `socket:[${inode}]`;
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let fds: string[];
      try {
        fds = fs.readdirSync(`/proc/${entry}/fd`);
      } catch {
        continue; // not ours to read
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = fs.readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          continue;
        }
        if (target !== link) continue;
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return { kind: state === 'T' || state === 't' ? 'stopped' : 'running', pid: Number(entry) };
      }
    }
  } catch {
    // not Linux, or /proc not readable
  }
  return { kind: 'unknown' };
}
