/**
 * What `qmpsh ps` needs from a host's /proc, read once per call: the QEMU
 * processes (pid, argv, state, start time), the Unix sockets (/proc/net/unix)
 * and the uptime. Locally it is read with fs (readLocalSnapshot); on another
 * node one shell command prints the same files (REMOTE_DUMP, over the ssh
 * master) and parseDump turns its output into the same snapshot. So the
 * remote side needs nothing but a POSIX shell, `cat` and `head` (no qmpsh, no
 * node), and both sides are judged by the same code (src/ps/list.ts).
 *
 * Who holds a connection is not in /proc (a Unix socket's peer is known only
 * through the kernel's sock_diag netlink, which Node cannot speak): `ss -xpn`
 * (iproute2) asks it. It runs only when a monitor is held, locally; the
 * remote dump always includes it (one round trip). Without ss: held, holder unknown.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { qemuProgram } from './cmdline.js';

export interface ProcEntry {
  pid: number;
  argv: string[];
  /** The QEMU program (qemu-system-x86_64, qemu-storage-daemon, ...). */
  program: string;
  /** /proc/PID/stat's state letter (R, S, T, ...). */
  state: string;
  /** Clock ticks after boot (stat field 22). */
  startTicks: number;
  /** The working directory, when readable (relative socket paths). */
  cwd?: string | undefined;
  /** The socket inode behind an fd of QEMU's (`-chardev socket,fd=N`), when readable. */
  fdInode?: ((fd: number) => string | undefined) | undefined;
}

export interface Snapshot {
  processes: ProcEntry[];
  /** /proc/net/unix as read. */
  unix: string;
  /** /proc/net/tcp and /proc/net/tcp6 as read (TCP monitors: listening, connected). */
  tcp: string;
  uptimeSeconds: number;
  clockTicks: number;
  /** `ss -xpn` output (maybe run lazily); undefined when it cannot run. */
  sockets(): string | undefined;
}

/** argv from /proc/PID/cmdline (NUL-separated). */
export function argvOf(cmdline: string): string[] {
  const words = cmdline.split('\0');
  if (words[words.length - 1] === '') words.pop();
  return words;
}

/** The state letter and start time from /proc/PID/stat (comm may hold spaces and parentheses: cut at the last ')'). */
export function parseStat(stat: string): { comm: string; state: string; startTicks: number } | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  return { comm, state: fields[0] ?? '?', startTicks: Number(fields[19] ?? 0) };
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

function decode(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

/** This host's QEMUs (those this user may read; root: all). */
export function readLocalSnapshot(): Snapshot {
  const processes: ProcEntry[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    // not Linux: nothing to list
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = read(`/proc/${entry}/cmdline`);
    if (!cmdline) continue;
    const argv = argvOf(decode(cmdline));
    // argv[0] first (no second read for the hundreds of other processes).
    const byArgv = qemuProgram(argv[0] ?? '');
    if (!byArgv && !/qemu/.test(argv[0] ?? '')) continue;
    const stat = read(`/proc/${entry}/stat`);
    const parsed = stat === undefined ? undefined : parseStat(decode(stat));
    const program = byArgv ?? qemuProgram(argv[0] ?? '', parsed?.comm);
    if (!program || !parsed) continue;
    let cwd: string | undefined;
    try {
      cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      cwd = undefined;
    }
    const fdInode = (fd: number) => {
      try {
        return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${entry}/fd/${fd}`))?.[1];
      } catch {
        return undefined; // another user's QEMU (libvirt's runs as its own user): root sees it
      }
    };
    processes.push({ pid: Number(entry), argv, program, state: parsed.state, startTicks: parsed.startTicks, cwd, fdInode });
  }
  let ss: string | undefined | null = null;
  return {
    processes,
    unix: decode(read('/proc/net/unix') ?? ''),
    // Only when a TCP monitor is there to judge.
    tcp: processes.some((p) => p.argv.some((w) => /(^|[:=,])(tcp:|port=)/.test(w)))
      ? (read('/proc/net/tcp') ?? '') + (read('/proc/net/tcp6') ?? '')
      : '',
    uptimeSeconds: Number((read('/proc/uptime') ?? '0').split(' ')[0]),
    clockTicks: 100,
    sockets() {
      if (ss === null) {
        const r = spawnSync('ss', ['-xpn'], { encoding: 'utf8', timeout: 5000 });
        ss = r.status === 0 ? r.stdout : undefined;
      }
      return ss;
    },
  };
}

/**
 * One shell command that prints what readLocalSnapshot reads, for another
 * node (run over ssh). `head -v` names each file it prints: one process for
 * every /proc/PID file, not one per process. The cmdlines come last: they
 * hold NUL bytes.
 */
export const REMOTE_DUMP = [
  'LC_ALL=C; export LC_ALL',
  "echo '@@qmpsh:uptime'; cat /proc/uptime",
  "echo '@@qmpsh:clktck'; getconf CLK_TCK 2>/dev/null || echo 100",
  "echo '@@qmpsh:unix'; cat /proc/net/unix",
  "echo '@@qmpsh:tcp'; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null",
  "echo '@@qmpsh:ss'; ss -xpn 2>/dev/null",
  // For each QEMU only (comm read by the shell's own `read`: no process per
  // pid): its working directory and its socket fds, one `ls` each.
  "echo '@@qmpsh:fds'",
  'for d in /proc/[0-9]*; do',
  '  { read -r c < "$d/comm"; } 2>/dev/null || continue',
  '  case $c in qemu*|kvm) ;; *) continue ;; esac',
  '  echo "pid ${d#/proc/}"; echo "cwd $(cd "$d/cwd" 2>/dev/null && pwd -P)"; ls -l "$d/fd" 2>/dev/null',
  'done',
  "echo '@@qmpsh:stat'; head -v -c 4096 /proc/[0-9]*/stat 2>/dev/null",
  "echo '@@qmpsh:cmdline'; head -v -c 131072 /proc/[0-9]*/cmdline 2>/dev/null",
  'exit 0',
].join('\n');

/** REMOTE_DUMP's output (as bytes read as latin1) -> a snapshot. */
export function parseDump(output: string): Snapshot {
  const sections = new Map<string, string>();
  const re = /(?:^|\n)@@qmpsh:(\w+)\n/g;
  const marks = [...output.matchAll(re)];
  marks.forEach((m, i) => {
    const start = (m.index as number) + m[0].length;
    const end = i + 1 < marks.length ? (marks[i + 1]?.index as number) : output.length;
    sections.set(m[1] as string, output.slice(start, end));
  });
  const files = (text: string, kind: string) => {
    const out = new Map<number, string>();
    const parts = text.split(new RegExp(`(?:^|\\n)==> /proc/(\\d+)/${kind} <==\\n`));
    for (let i = 1; i + 1 < parts.length; i += 2) out.set(Number(parts[i]), parts[i + 1] as string);
    return out;
  };
  const stats = files(sections.get('stat') ?? '', 'stat');
  // `pid N`, `cwd PATH`, then `ls -l` of its fds (`... 3 -> socket:[12345]`).
  const fds = new Map<number, { cwd?: string; sockets: Map<number, string> }>();
  let current: { cwd?: string; sockets: Map<number, string> } | undefined;
  for (const line of decode(sections.get('fds') ?? '').split('\n')) {
    const pid = /^pid (\d+)$/.exec(line);
    if (pid) fds.set(Number(pid[1]), (current = { sockets: new Map() }));
    else if (current && line.startsWith('cwd /')) current.cwd = line.slice(4);
    else {
      const fd = / (\d+) -> socket:\[(\d+)\]$/.exec(line);
      if (fd && current) current.sockets.set(Number(fd[1]), fd[2] as string);
    }
  }
  const processes: ProcEntry[] = [];
  for (const [pid, cmdline] of files(sections.get('cmdline') ?? '', 'cmdline')) {
    const argv = argvOf(decode(cmdline));
    const stat = stats.get(pid);
    const parsed = stat === undefined ? undefined : parseStat(decode(stat.trimEnd()));
    const program = qemuProgram(argv[0] ?? '', parsed?.comm);
    if (!program || !parsed) continue;
    const seen = fds.get(pid);
    processes.push({ pid, argv, program, state: parsed.state, startTicks: parsed.startTicks, cwd: seen?.cwd, fdInode: (fd) => seen?.sockets.get(fd) });
  }
  const ss = decode(sections.get('ss') ?? '');
  return {
    processes,
    unix: decode(sections.get('unix') ?? ''),
    tcp: sections.get('tcp') ?? '',
    uptimeSeconds: Number((sections.get('uptime') ?? '0').split(' ')[0]),
    clockTicks: Number(sections.get('clktck')?.trim()) || 100,
    sockets: () => (ss.trim() ? ss : undefined),
  };
}
