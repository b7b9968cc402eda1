/**
 * The VMs of one host: this one (/proc read directly) or another node over
 * ssh (one shell command through the host's ssh master: snapshot.ts's
 * REMOTE_DUMP, judged here by the same code as locally).
 */
import { ConnectError } from '../errors.js';
import { describeSshFailure, runOnSshHost, type SshTarget, type TunnelOptions } from '../transport/ssh.js';
import { listVms, type VmInfo } from './list.js';
import { parseDump, readLocalSnapshot, REMOTE_DUMP } from './snapshot.js';
import { timeLimitMs } from '../timeouts.js';

export interface HostListing {
  vms: VmInfo[];
  /** Keeps the host's ssh login for the tunnels that follow; call when done (a no-op locally). */
  release(): void;
}

export async function listHost(host: SshTarget | undefined, timeoutMs = 30_000, options: TunnelOptions = {}): Promise<HostListing> {
  // 0 (or Infinity) leaves ssh its own default of 30 s: the remote listing always has a limit.
  const limit = timeLimitMs('timeoutMs', timeoutMs);
  if (!host) return { vms: listVms(readLocalSnapshot()), release: () => {} };
  const r = await runOnSshHost(host, REMOTE_DUMP, limit, options);
  if (r.code !== 0 || !r.stdout.includes('@@qmpsh:cmdline')) {
    r.release();
    if (r.code === 255) throw describeSshFailure(host, r.stderr);
    throw new ConnectError(`could not list the processes on ${host.host} (${r.stderr.trim().split('\n').pop() || `exit ${r.code}`})`);
  }
  return { vms: listVms(parseDump(r.stdout)), release: r.release };
}
