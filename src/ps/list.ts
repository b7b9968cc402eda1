/**
 * A snapshot of /proc (src/ps/snapshot.ts) -> the VMs on a host: name,
 * uptime, each monitor and whether it is free or held (and by whom). Pure.
 */
import path from 'node:path';
import { parseQemuArgs, type MonitorSpec } from './cmdline.js';
import type { Snapshot } from './snapshot.js';

export type MonitorState =
  /** A Unix socket QEMU listens on with no client: connect now. */
  | 'free'
  /** Another client is connected: QEMU serves one client per monitor. */
  | 'held'
  /** QEMU should listen there but /proc shows no such socket (deleted, or not yet bound). */
  | 'absent'
  /** QEMU is the client (no server=on), or stdio/pty/...: nothing to connect to. */
  | 'none'
  /** /proc cannot say (a TCP port that /proc/net/tcp does not show, or unreadable). */
  | 'unknown';

export interface Holder {
  pid: number;
  program: string;
}

export interface MonitorInfo extends MonitorSpec {
  state: MonitorState;
  holder?: Holder | undefined;
  /** What qmpsh connects to (a path, or host:port), for a QMP server monitor. */
  target?: string | undefined;
}

export interface VmInfo {
  pid: number;
  program: string;
  name: string | undefined;
  uptimeSeconds: number;
  /** stopped: SIGSTOP (or traced); QEMU answers nothing until resumed. */
  process: 'running' | 'stopped';
  daemonized: boolean;
  monitors: MonitorInfo[];
}

const SO_ACCEPTCON = 0x10000;
const SS_CONNECTED = 3;

interface UnixEntry {
  inode: string;
  listening: boolean;
  connected: boolean;
  path: string;
}

export function parseNetUnix(text: string): UnixEntry[] {
  const out: UnixEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const m = /^\s*\S+:\s+\S+\s+\S+\s+(\S+)\s+\S+\s+(\S+)\s+(\d+)(?: (.*))?$/.exec(line);
    if (!m || m[4] === undefined) continue;
    const flags = parseInt(m[1] as string, 16);
    out.push({
      inode: m[3] as string,
      listening: (flags & SO_ACCEPTCON) !== 0,
      connected: parseInt(m[2] as string, 16) === SS_CONNECTED,
      path: m[4],
    });
  }
  return out;
}

/** /proc/net/tcp(6) -> local port and state (0A LISTEN, 01 ESTABLISHED), per socket. */
export function parseNetTcp(text: string): Array<{ port: number; listening: boolean; established: boolean }> {
  const out: Array<{ port: number; listening: boolean; established: boolean }> = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+[0-9A-Fa-f]+:([0-9A-Fa-f]{4})\s+\S+\s+([0-9A-Fa-f]{2})\s/.exec(line);
    if (!m) continue;
    const st = (m[2] as string).toUpperCase();
    out.push({ port: parseInt(m[1] as string, 16), listening: st === '0A', established: st === '01' });
  }
  return out;
}

interface SsEntry {
  path: string;
  inode: string;
  peer: string;
  users: Holder[];
}

/** `ss -xpn` lines -> local path, inode, peer inode, the processes holding it. */
export function parseSs(text: string): SsEntry[] {
  const out: SsEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^u_\w+\s+\S+\s+\d+\s+\d+\s+(.*?)\s+(\d+)\s+(.*?)\s+(\d+)(?:\s+users:\((.*)\))?\s*$/.exec(line);
    if (!m) continue;
    const users = [...(m[5] ?? '').matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=\d+\)/g)].map((u) => ({
      program: u[1] as string,
      pid: Number(u[2]),
    }));
    out.push({ path: m[1] as string, inode: m[2] as string, peer: m[4] as string, users });
  }
  return out;
}

/** Where QEMU's socket is, absolute when QEMU's working directory is known. */
function absolute(p: string, cwd: string | undefined): string {
  return path.isAbsolute(p) || !cwd ? p : path.join(cwd, p);
}

export function listVms(snapshot: Snapshot): VmInfo[] {
  const unix = parseNetUnix(snapshot.unix);
  const tcp = parseNetTcp(snapshot.tcp);
  let ss: SsEntry[] | undefined;
  const holderOf = (pathOf: string, qemuPid: number): Holder | undefined => {
    ss ??= parseSs(snapshot.sockets() ?? '');
    // QEMU's accepted socket carries the path; its peer is the client's socket.
    const mine = ss.filter((e) => e.path === pathOf && e.peer !== '0' && (e.users.length === 0 || e.users.some((u) => u.pid === qemuPid)));
    for (const e of mine) {
      const peer = ss.find((o) => o.inode === e.peer);
      const holder = peer?.users.find((u) => u.pid !== qemuPid) ?? peer?.users[0];
      if (holder) return holder;
    }
    return undefined;
  };
  return snapshot.processes
    .map((p): VmInfo => {
      const parsed = parseQemuArgs(p.argv.slice(1), p.program);
      const monitors = parsed.monitors.map((spec): MonitorInfo => {
        let m = spec;
        if (m.fd !== undefined) {
          // A socket bound by someone else and handed over (libvirt): /proc/net/unix has its path.
          const inode = p.fdInode?.(m.fd);
          const bound = inode === undefined ? undefined : unix.find((e) => e.inode === inode && e.listening)?.path;
          if (bound) m = { ...m, transport: 'unix', path: bound };
        }
        if (m.transport === 'unix' && m.path !== undefined) {
          const full = absolute(m.path, p.cwd);
          if (!m.server) return { ...m, path: full, state: 'none' };
          const entries = unix.filter((e) => e.path === m.path || e.path === full);
          const state: MonitorState = !entries.some((e) => e.listening)
            ? 'absent'
            : entries.some((e) => !e.listening && e.connected)
              ? 'held'
              : 'free';
          const bound = entries[0]?.path ?? m.path;
          return {
            ...m,
            path: full,
            state,
            holder: state === 'held' ? holderOf(bound, p.pid) : undefined,
            target: m.protocol === 'qmp' ? full : undefined,
          };
        }
        if (m.transport === 'tcp' && m.server) {
          const host = !m.host || m.host === '0.0.0.0' ? '127.0.0.1' : m.host === '::' ? '::1' : m.host;
          const target = host.includes(':') ? `[${host}]:${m.port}` : `${host}:${m.port}`;
          // By port: QEMU's listener, and a connection it accepted (local port the same).
          const mine = tcp.filter((e) => e.port === m.port);
          const state: MonitorState = !mine.some((e) => e.listening) ? (snapshot.tcp ? 'absent' : 'unknown') : mine.some((e) => e.established) ? 'held' : 'free';
          return { ...m, state, target: m.protocol === 'qmp' ? target : undefined };
        }
        return { ...m, state: 'none' };
      });
      return {
        pid: p.pid,
        program: p.program,
        name: parsed.name,
        uptimeSeconds: Math.max(0, Math.round(snapshot.uptimeSeconds - p.startTicks / snapshot.clockTicks)),
        process: p.state === 'T' || p.state === 't' ? 'stopped' : 'running',
        daemonized: parsed.daemonize,
        monitors,
      };
    })
    .sort((a, b) => a.pid - b.pid);
}
