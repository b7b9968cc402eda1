/**
 * What the shell shows and knows before its first prompt: the banner, and
 * QEMU's command names (for Tab) and run state (for the prompt). A guest
 * agent has neither (it would answer CommandNotFound) and sends no greeting.
 */
import { formatAddress } from '../../address.js';
import { greetingVersion, isObject } from '../../protocol/messages.js';
import type { QmpClient } from '../../session.js';
import { internal } from '../core/internal.js';
import type { Paint } from '../output/format.js';
import { inert } from '../output/inert.js';

export async function firstLook(client: QmpClient, agent: boolean): Promise<{ commands: string[]; runState: string }> {
  if (agent) return { commands: [], runState: 'agent' };
  const [commands, status] = await Promise.all([
    internal(client, 'query-commands', undefined, { internal: true }).catch(() => []),
    internal(client, 'query-status', undefined, { internal: true }).catch(() => ({ status: 'unknown' })),
  ]);
  // Peer data: only the shapes QEMU gives are used (anything else: no names, state unknown).
  const names = (Array.isArray(commands) ? commands : [])
    .map((c) => (isObject(c) ? c.name : undefined))
    .filter((n): n is string => typeof n === 'string' && n !== 'qmp_capabilities');
  // Peer text, shown in the prompt: never live.
  const reported = isObject(status) && typeof status.status === 'string' ? status.status : 'unknown';
  return { commands: names, runState: inert(reported) };
}

/** The banner's lines. The greeting's version and package are the peer's words: inert. */
export function banner(client: QmpClient, version: string, agent: boolean, paint: Paint): string[] {
  const qemuVersion = agent ? 'guest agent' : greetingVersion(client.greeting);
  return [
    `${paint.bold(`qmpsh ${version}`)}: ${agent ? '' : 'QEMU '}${inert(qemuVersion)} at ${inert(formatAddress(client.address))}`,
    paint.dim('Type .help for help, Tab to complete, Ctrl-D to leave.'),
  ];
}
