/**
 * What qmpsh asks QEMU for itself, not on a user's behalf: look-ups for
 * completion and progress, and the verbs --wait uses on the job or migration
 * it started (which the gate let through as the user's command). The names
 * are a closed list the compiler checks: a user's request cannot come this
 * way, it goes through the gate (core/gate.ts).
 */
import { runHmp } from '../../hmp.js';
import type { JsonValue } from '../../protocol/json.js';
import type { JsonObject } from '../../protocol/messages.js';
import type { ExecuteOptions, QmpClient } from '../../session.js';

export type InternalCommand =
  | 'query-commands'
  | 'query-target'
  | 'query-jobs'
  | 'device-list-properties'
  | 'qom-list-properties'
  | 'query-name'
  | 'query-status'
  | 'query-migrate'
  | 'query-migrate-parameters'
  | 'query-block'
  | 'query-named-block-nodes'
  | 'qom-list'
  | 'job-dismiss'
  | 'job-complete'
  | 'job-cancel'
  | 'migrate_cancel';

export function internal(
  client: QmpClient,
  name: InternalCommand,
  args?: JsonObject,
  options?: ExecuteOptions,
): Promise<JsonValue> {
  return client.execute(name, args, options);
}

/** HMP lines qmpsh runs itself (the REPL's completion of HMP commands and `info` subcommands): read-only help text. */
export type InternalHmp = 'help' | 'help info';

export function internalHmp(client: QmpClient, line: InternalHmp): Promise<string> {
  return runHmp(client, line, { internal: true });
}

/** QEMU's downtime-limit in ms (query-migrate-parameters): 300, its default, when it does not say. */
export async function downtimeLimit(client: QmpClient): Promise<number> {
  const p = await internal(client, 'query-migrate-parameters', undefined, { internal: true }).catch(() => undefined);
  const v = typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as JsonObject)['downtime-limit'] : undefined;
  return typeof v === 'number' && v > 0 ? v : typeof v === 'bigint' && v > 0n ? Number(v) : 300;
}
