/**
 * `@NAME` -> the VM and the monitor to connect to. Pure: works on the list
 * made by src/ps/list.ts. A name is QEMU's -name; a VM without one answers to
 * its pid (`@1234`), as does any VM when two share a name.
 */
import { ConnectError, MonitorBusyError, UsageError } from '../errors.js';
import { globToRegExp, hasGlob } from '../glob.js';
import { suggest } from '../schema/schema.js';
import type { MonitorInfo, VmInfo } from './list.js';

/** What `@...` matches a VM by: its name, else its pid. */
export function nameOf(vm: VmInfo): string {
  return vm.name ?? String(vm.pid);
}

/** The VMs `pattern` (without the '@') names: a glob, a name, or a pid. */
export function matchVms(vms: readonly VmInfo[], pattern: string): VmInfo[] {
  if (hasGlob(pattern)) {
    const re = globToRegExp(pattern);
    return vms.filter((vm) => re.test(nameOf(vm)));
  }
  const named = vms.filter((vm) => vm.name === pattern);
  if (named.length) return named;
  return /^\d+$/.test(pattern) ? vms.filter((vm) => String(vm.pid) === pattern) : [];
}

/** How a VM is called in messages: `'web1' (pid 123)`. */
export function vmLabel(vm: VmInfo): string {
  return vm.name !== undefined ? `VM '${vm.name}' (pid ${vm.pid})` : `QEMU pid ${vm.pid} (no -name)`;
}

/** One name -> one VM, or exit 2: unknown (with suggestions) or ambiguous (with the pids to use). */
export function findVm(vms: readonly VmInfo[], pattern: string, where: string): VmInfo {
  const found = matchVms(vms, pattern);
  if (found.length === 1) return found[0] as VmInfo;
  if (found.length > 1) {
    throw new UsageError(
      `'@${pattern}' names ${found.length} VMs ${where} (${found.map((v) => `pid ${v.pid}`).join(', ')}): name one by its pid (${found.map((v) => `@${v.pid}`).join(', ')})`,
    );
  }
  const close = suggest(pattern, [...new Set(vms.map(nameOf))]);
  throw new UsageError(
    `no VM named '${pattern}' ${where}` +
      (close.length
        ? `: did you mean ${close.map((c) => `@${c}`).join(', ')}?`
        : vms.length
          ? `: there are ${vms.slice(0, 5).map((v) => `@${nameOf(v)}`).join(', ')}${vms.length > 5 ? ', ...' : ''}`
          : ': no QEMU runs there') +
      ' (qmpsh ps lists them)',
  );
}

/** What to tell a user whose VM's monitor is held: the holder, and what to use instead. */
function heldAdvice(vm: VmInfo, m: MonitorInfo): string {
  const h = m.holder;
  const who = h ? `${h.program} (pid ${h.pid})` : 'another client';
  let advice = 'wait until it lets go, or start QEMU with a second monitor (-qmp unix:PATH,server=on,wait=off) for qmpsh';
  if (h && /^libvirt|^virtqemud/.test(h.program)) {
    advice = `libvirt manages this VM: use virsh qemu-monitor-command ${vm.name ?? 'DOMAIN'} '{"execute": "query-status"}'`;
  } else if (/\/libvirt\//.test(m.path ?? '')) {
    advice = `this looks like libvirt's monitor: use virsh qemu-monitor-command ${vm.name ?? 'DOMAIN'} '{"execute": "query-status"}'`;
  }
  return `its QMP monitor ${m.target} is held by ${who} (QEMU serves one client per monitor): ${advice}`;
}

/**
 * The monitor qmpsh should use for this VM: a free QMP server first, then
 * one whose state /proc cannot tell (TCP). None: why not, and what to do.
 */
export function monitorFor(vm: VmInfo): MonitorInfo {
  const qmp = vm.monitors.filter((m) => m.protocol === 'qmp' && m.target !== undefined);
  const pick = qmp.find((m) => m.state === 'free') ?? qmp.find((m) => m.state === 'unknown');
  if (pick) return pick;
  const held = qmp.find((m) => m.state === 'held');
  if (held) throw new MonitorBusyError(`${vmLabel(vm)}: ${heldAdvice(vm, held)}`);
  const absent = qmp.find((m) => m.state === 'absent');
  if (absent) throw new ConnectError(`${vmLabel(vm)}: nothing listens at its QMP socket ${absent.target} (removed?)`);
  const hmp = vm.monitors.find((m) => m.protocol === 'hmp');
  throw new ConnectError(
    `${vmLabel(vm)} has no QMP monitor qmpsh can connect to` +
      (hmp ? ` (only a human monitor: ${hmp.spec})` : '') +
      ': start it with -qmp unix:/run/qemu/NAME.qmp,server=on,wait=off (or -chardev socket,id=qmp,path=...,server=on,wait=off -mon chardev=qmp,mode=control)',
  );
}
