/**
 * Why does a Unix socket that accepted our connection stay silent? A monitor
 * held by another client and a QEMU stopped with SIGSTOP look the same on the
 * wire (the connection waits in the kernel's backlog either way). On Linux,
 * when we may look, /proc tells them apart: the process that listens on the
 * socket, whether it is stopped, and which program it is (a guest agent,
 * qemu-ga, also listens on a Unix socket and sends no greeting). Best effort:
 * anything unreadable is 'unknown'.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatAddress, type Address } from '../address.js';
import { ConnectError, MonitorBusyError, TimeoutError, type QmpError } from '../errors.js';

export type PeerState =
  | {
      kind: 'stopped' | 'running';
      pid: number;
      /** The program's name (/proc/PID/comm, else the name of /proc/PID/exe), when readable. */
      program: string | undefined;
    }
  | { kind: 'unknown' };

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
        return { kind: state === 'T' || state === 't' ? 'stopped' : 'running', pid: Number(entry), program: programOf(entry) };
      }
    }
  } catch {
    // not Linux, or /proc not readable
  }
  return { kind: 'unknown' };
}

function programOf(pid: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || undefined;
  } catch {
    try {
      return path.basename(fs.readlinkSync(`/proc/${pid}/exe`));
    } catch {
      return undefined;
    }
  }
}

/** QEMU's guest agent (qemu-ga; comm holds at most 15 bytes, so a name that starts so). */
const isGuestAgent = (program: string | undefined) => program !== undefined && /^qemu-ga\b/.test(program);

/**
 * No greeting in time: a monitor held by another client, or a QEMU that does
 * not run. On Linux the listener's process state says which (transport/peer).
 */
export function silentPeerError(address: Address, seconds: number): QmpError {
  const where = formatAddress(address);
  const peer = address.kind === 'unix' ? listenerState(address.path) : { kind: 'unknown' as const };
  if (peer.kind === 'stopped') {
    const who = isGuestAgent(peer.program) ? 'the guest agent' : 'QEMU';
    return new TimeoutError(
      `no greeting from ${where} within ${seconds}s: ${who} (pid ${peer.pid}) is stopped; resume it with kill -CONT ${peer.pid}`,
    );
  }
  if (peer.kind === 'running' && isGuestAgent(peer.program)) {
    // qemu-ga speaks QMP's wire format but sends no greeting: it is not busy, it is not a monitor.
    return new ConnectError(
      `no greeting from ${where} within ${seconds}s: it looks like a QEMU guest agent ` +
        `(qemu-ga, pid ${peer.pid}), not a QEMU monitor: an agent sends no greeting`,
      { hint: 'agent' },
    );
  }
  if (peer.kind === 'running') {
    return new MonitorBusyError(
      `monitor busy: no greeting from ${where} within ${seconds}s: another client is connected (QEMU, pid ${peer.pid}, serves one client per monitor)`,
    );
  }
  return new MonitorBusyError(
    `monitor busy: no greeting from ${where} within ${seconds}s: another client is probably connected ` +
      '(QEMU serves one client per monitor), or QEMU is not responding (stopped or hung)',
  );
}

