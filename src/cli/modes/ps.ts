/**
 * `qmpsh ps [ssh://HOST ...] [--status]`: the QEMUs of this host (or of each
 * HOST, over one ssh login each), from /proc (src/ps/): pid, name, uptime,
 * each monitor and whether it is free or held (by whom). A table on a
 * terminal (or --table), one NDJSON line per VM otherwise (or --json).
 * --status asks each free QMP monitor for the run state, through the one
 * session factory like any mode.
 */
import { QmpError } from '../../errors.js';
import type { MonitorInfo, VmInfo } from '../../ps/list.js';
import { matchVms, monitorFor, nameOf } from '../../ps/names.js';
import type { JsonValue } from '../../protocol/json.js';
import { parseSshTarget } from '../../transport/ssh.js';
import { internal } from '../core/internal.js';
import { messageWithHint } from '../core/hints.js';
import { listings } from '../core/names.js';
import { withSession, type Runtime } from '../core/session.js';
import type { PsRequest } from '../options/decide.js';
import { compactJson } from '../output/format.js';
import { inert } from '../output/inert.js';

interface Row {
  host: string | undefined;
  vm: VmInfo;
  status?: string | undefined;
}

export async function runPs(ps: PsRequest, rt: Runtime): Promise<void> {
  const { io } = rt;
  const all = listings(rt.common.connectTimeoutMs, rt.signal);
  try {
    const rows: Row[] = [];
    const hosts = ps.hosts.length ? ps.hosts : [undefined];
    let failed = 0;
    // Every host at once; printed in the order given.
    const listed = hosts.map((host) => all.of(host === undefined ? undefined : parseSshTarget(host)));
    for (const p of listed) p.catch(() => {});
    for (const [i, host] of hosts.entries()) {
      try {
        const { vms } = await (listed[i] as (typeof listed)[number]);
        // @NAME words: those VMs only (and --status asks only them).
        const chosen = ps.names.length ? vms.filter((vm) => ps.names.some((n) => matchVms([vm], n).length > 0)) : vms;
        rows.push(...chosen.map((vm) => ({ host, vm })));
      } catch (err) {
        if (!(err instanceof QmpError)) throw err;
        io.error(messageWithHint(err));
        process.exitCode = 3;
        failed++;
      }
    }
    if (ps.status) await Promise.all(rows.map((r) => statusOf(r, rt).then((s) => (r.status = s))));
    const table = ps.output === 'table' || (ps.output === 'auto' && io.stdoutIsTTY);
    if (table) {
      if (rows.length) io.out(renderPs(rows, ps.status, ps.hosts.length > 0));
      else if (!failed) io.err(`${io.errPaint.dim('qmpsh:')} no QEMU runs ${ps.hosts.length ? 'there' : 'here'} (that this user may see)`);
    } else {
      for (const r of rows) io.out(compactJson(jsonOf(r)));
    }
  } finally {
    all.release();
  }
}

/** query-status on the VM's free QMP monitor; a word for why not otherwise. */
async function statusOf(r: Row, rt: Runtime): Promise<string> {
  let monitor: MonitorInfo;
  try {
    monitor = monitorFor(r.vm);
  } catch {
    return r.vm.monitors.some((m) => m.state === 'held') ? '(held)' : '(no qmp)';
  }
  if (r.vm.process === 'stopped') return '(stopped)';
  const target = monitor.target as string;
  const address = r.host ? `${r.host.replace(/\/$/, '')}${target}` : target.startsWith('/') ? `unix:${target}` : target;
  if (r.host && !target.startsWith('/')) return '(tcp)';
  try {
    return await withSession(rt, address, { events: 'none' }, async (session) => {
      await session.open();
      const reply = (await internal(session.client, 'query-status')) as { status?: JsonValue };
      return typeof reply.status === 'string' ? reply.status : '?';
    });
  } catch (err) {
    if (!(err instanceof QmpError)) throw err;
    return `(${err.code === 'QMP_MONITOR_BUSY' ? 'busy' : 'error'})`;
  }
}

function monitorJson(m: MonitorInfo): JsonValue {
  const address = m.transport === 'unix' ? (m.path as string) : m.transport === 'tcp' ? `${m.host}:${m.port}` : m.spec;
  return {
    protocol: m.protocol,
    address,
    mode: m.server ? 'server' : 'client',
    pretty: m.pretty,
    state: m.state,
    ...(m.holder ? { holder: { pid: m.holder.pid, program: m.holder.program } } : {}),
  };
}

function jsonOf(r: Row): JsonValue {
  const { vm } = r;
  return {
    ...(r.host ? { host: r.host.replace(/\/$/, '') } : {}),
    pid: vm.pid,
    name: vm.name ?? null,
    target: `${r.host ? r.host.replace(/\/$/, '/') : ''}@${nameOf(vm)}`,
    program: vm.program,
    uptime: vm.uptimeSeconds,
    process: vm.process,
    daemonized: vm.daemonized,
    ...(r.status !== undefined ? { status: r.status } : {}),
    monitors: vm.monitors.map(monitorJson),
  };
}

function uptime(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
  return `${Math.floor(s / 86400)}d`;
}

function monitorText(m: MonitorInfo): string {
  const where = m.transport === 'unix' ? m.path : m.transport === 'tcp' ? `tcp:${m.host}:${m.port}` : m.spec;
  const state =
    m.state === 'held' ? `held by ${m.holder ? `${m.holder.program} (pid ${m.holder.pid})` : 'another client'}` : m.state === 'none' ? (m.server ? '' : 'client') : m.state;
  return `${m.protocol}${m.pretty ? ' pretty' : ''} ${where}${state ? ` [${state}]` : ''}`;
}

/** One row per monitor; a VM's first row carries its pid, name, uptime (and state). */
function renderPs(rows: Row[], status: boolean, hosts: boolean): string {
  const header = [...(hosts ? ['HOST'] : []), 'PID', 'NAME', 'UPTIME', ...(status ? ['STATUS'] : []), 'MONITORS'];
  const body: string[][] = [];
  for (const r of rows) {
    const monitors = r.vm.monitors.length ? r.vm.monitors.map(monitorText) : ['(none)'];
    monitors.forEach((m, i) => {
      const first = i === 0;
      body.push([
        ...(hosts ? [first ? (parseSshTarget(r.host ?? '')?.host ?? '') : ''] : []),
        first ? String(r.vm.pid) + (r.vm.process === 'stopped' ? ' (stopped)' : '') : '',
        first ? (r.vm.name ?? '-') : '',
        first ? uptime(r.vm.uptimeSeconds) : '',
        ...(status ? [first ? (r.status ?? '') : ''] : []),
        m,
      ]);
    });
  }
  const all = [header, ...body].map((row) => row.map((cell) => inert(cell)));
  const widths = header.map((_, c) => Math.max(...all.map((row) => [...(row[c] ?? '')].length)));
  return all.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell + ' '.repeat((widths[c] as number) - [...cell].length))).join('  ')).join('\n');
}
