/**
 * `@NAME` targets (`@web1`, `'@web*'`, `ssh://node3/@web1`) -> the monitor
 * socket each names, from the host's process list (src/ps/). One listing per
 * host per run; over ssh the listing and the tunnels share one login (the
 * listing holds the host's master until the run lets go of it). Remote globs
 * (`ssh://node3/run/*.qmp`) are expanded here too, the same way.
 */
import { QmpError, UsageError } from '../../errors.js';
import { hasGlob } from '../../glob.js';
import { listHost, type HostListing } from '../../ps/hosts.js';
import { findVm, matchVms, monitorFor, nameOf } from '../../ps/names.js';
import { expandRemoteGlob, formatSshTarget, parseSshTarget, type RemoteGlob, type SshTarget } from '../../transport/ssh.js';
import { expandTargets, isGlobTarget, type ExpandedTarget } from '../options/targets.js';
import { onCleanup } from './interrupt.js';

export interface NameTarget {
  host: SshTarget | undefined;
  /** Without the '@'. */
  pattern: string;
}

/** `@web1` or `ssh://node/@web1` -> its parts; anything else: undefined. */
export function nameTargetOf(word: string): NameTarget | undefined {
  if (word.startsWith('@')) return { host: undefined, pattern: word.slice(1) };
  if (!word.startsWith('ssh://')) return undefined;
  const t = parseSshTarget(word);
  if (!t || !t.path.startsWith('/@')) return undefined;
  return { host: { ...t, path: '/' }, pattern: t.path.slice(2) };
}

export const isNameTarget = (word: string) => nameTargetOf(word) !== undefined;

export interface Listings {
  of(host: SshTarget | undefined): Promise<HostListing>;
  /** An ssh:// glob expanded on its host (once per glob), on the host's login. */
  glob(remote: SshTarget): Promise<string[]>;
  release(): void;
}

/**
 * Lists each host once, expands each remote glob once, and keeps the hosts'
 * ssh logins until release(). Everything here listens to `signal`: a signal
 * stops a login or a remote command at once (ssh killed, its directory gone).
 */
export function listings(timeoutMs: number, signal?: AbortSignal): Listings {
  const options = { signal, registerCleanup: onCleanup };
  const cache = new Map<string, Promise<HostListing>>();
  const globs = new Map<string, Promise<RemoteGlob>>();
  return {
    of(host) {
      const key = host ? formatSshTarget(host) : '';
      let p = cache.get(key);
      if (!p) {
        p = listHost(host, timeoutMs, options);
        cache.set(key, p);
      }
      return p;
    },
    async glob(remote) {
      const key = formatSshTarget(remote);
      let p = globs.get(key);
      if (!p) {
        p = expandRemoteGlob(remote, timeoutMs, options);
        globs.set(key, p);
      }
      return (await p).paths;
    },
    release() {
      for (const p of [...cache.values(), ...globs.values()]) p.then((l) => l.release(), () => {});
    },
  };
}

const whereOf = (host: SshTarget | undefined) => (host ? `on ${host.host}` : 'on this host');

/** The address qmpsh connects to for a monitor of a VM on `host`. */
function addressOf(host: SshTarget | undefined, target: string): string {
  if (!host) return target.startsWith('/') ? `unix:${target}` : target;
  if (!target.startsWith('/')) {
    throw new UsageError(`the VM's QMP monitor on ${host.host} is TCP (${target}): connect to it directly as ${host.host}:${target.split(':').pop()}`);
  }
  return formatSshTarget(host, target);
}

/** One `@NAME` (no glob) -> the address to connect to. */
export async function resolveName(word: string, all: Listings): Promise<string> {
  const t = nameTargetOf(word) as NameTarget;
  if (hasGlob(t.pattern)) throw new UsageError(`'${word}' is a glob: it names several VMs`);
  const { vms } = await all.of(t.host);
  const vm = findVm(vms, t.pattern, whereOf(t.host));
  return addressOf(t.host, monitorFor(vm).target as string);
}

/** Fan-out: every word -> targets; `@glob` -> one per VM it matches (sorted by name), each with its error if it has no usable monitor. */
export async function expandWithNames(words: readonly string[], all: Listings): Promise<ExpandedTarget[]> {
  const out: ExpandedTarget[] = [];
  // Every host's listing and remote glob at once (`ssh://node{1..8}/@*`: eight logins side by side, not in turn).
  for (const word of words) {
    const t = nameTargetOf(word);
    if (t) all.of(t.host).catch(() => {});
    else if (word.startsWith('ssh://') && isGlobTarget(word)) {
      const remote = parseSshTarget(word);
      if (remote) all.glob(remote).catch(() => {});
    }
  }
  for (const word of words) {
    const t = nameTargetOf(word);
    if (!t) {
      out.push(...(await expandTargets([word], (remote) => all.glob(remote))));
      continue;
    }
    const shown = (name: string) => (t.host ? formatSshTarget(t.host, `/@${name}`) : `@${name}`);
    let found;
    try {
      const { vms } = await all.of(t.host);
      found = hasGlob(t.pattern) ? matchVms(vms, t.pattern) : [findVm(vms, t.pattern, whereOf(t.host))];
      if (!found.length) {
        out.push({ target: word, address: word, error: new UsageError(`no VM matches ${word} ${whereOf(t.host)} (qmpsh ps lists them)`) });
        continue;
      }
    } catch (err) {
      if (!(err instanceof QmpError)) throw err;
      out.push({ target: word, address: word, error: err });
      continue;
    }
    const names = found.map(nameOf);
    const sorted = [...found].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : a.pid - b.pid));
    for (const vm of sorted) {
      // Two VMs of one name: each by its pid.
      const label = shown(names.filter((n) => n === nameOf(vm)).length > 1 ? String(vm.pid) : nameOf(vm));
      try {
        out.push({ target: label, address: addressOf(t.host, monitorFor(vm).target as string) });
      } catch (err) {
        if (!(err instanceof QmpError)) throw err;
        out.push({ target: label, address: label, error: err });
      }
    }
  }
  return out;
}
