/**
 * The VM's own names, for completing `device=`, `node-name=`, `job-id=` and
 * `id=`: block devices (query-block), nodes (query-named-block-nodes), jobs
 * (query-jobs) and devices with ids (/machine/peripheral). The look-ups are
 * marked internal: they stay out of --json, and -v and --log mark them as qmpsh's own.
 */
import type { QmpClient } from '../../session.js';
import { isObject, type JsonObject } from '../../protocol/messages.js';
import type { LiveNameSets } from '../completion/arguments.js';
import { internal, type InternalCommand } from '../core/internal.js';

type Rows = Array<Record<string, unknown>> | undefined;

export async function fetchLiveNames(client: QmpClient): Promise<LiveNameSets> {
  const get = (command: InternalCommand, args?: JsonObject) =>
    internal(client, command, args, { internal: true }).catch(() => []) as Promise<unknown>;
  const [block, nodes, jobs, peripherals] = (await Promise.all([
    get('query-block'),
    get('query-named-block-nodes'),
    get('query-jobs'),
    get('qom-list', { path: '/machine/peripheral' }),
  ])) as Rows[];
  // qom-list also lists the container's own properties ("type"): devices are its child<...> links.
  const ids = names(
    Array.isArray(peripherals) ? peripherals.filter((p) => isObject(p) && typeof p.type === 'string' && p.type.startsWith('child<')) : [],
    'name',
  );
  return {
    devices: [...names(block, 'device'), ...names(block, 'qdev'), ...ids],
    nodes: names(nodes, 'node-name'),
    jobs: names(jobs, 'id'),
    ids: [...ids, ...names(jobs, 'id')],
  };
}

function names(rows: Rows, key: string): string[] {
  // Peer data: rows that are not objects are skipped.
  return Array.isArray(rows)
    ? rows.map((x) => (isObject(x) ? x[key] : undefined)).filter((v): v is string => typeof v === 'string' && v !== '')
    : [];
}
