/**
 * device_add's driver properties for completion, asked of the live QEMU
 * (`device-list-properties typename=DRIVER`) once per driver and session: the
 * REPL keeps them for its session, shell completion for its one connection.
 * Peer data: only entries with a string name and type are kept; a driver
 * QEMU does not know (or a failed look-up) completes to nothing, once.
 */
import type { DeviceProperty } from '../../schema/device-props.js';
import { isObject } from '../../protocol/messages.js';
import type { QmpClient } from '../../session.js';
import { internal } from '../core/internal.js';
import { givenValue } from './arguments.js';

export class DevicePropertyCache {
  private readonly known = new Map<string, readonly DeviceProperty[]>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(private readonly client: QmpClient) {}

  /** The driver's properties, if looked up already. */
  get(driver: string): readonly DeviceProperty[] | undefined {
    return this.known.get(driver);
  }

  /** Looks up the properties of the driver a `device_add` line names (if any, and not yet known). */
  async forLine(command: string | undefined, words: readonly string[]): Promise<void> {
    const driver = command === 'device_add' ? givenValue(words, 'driver') : undefined;
    if (driver) await this.load(driver);
  }

  load(driver: string): Promise<void> {
    if (this.known.has(driver)) return Promise.resolve();
    let pending = this.loading.get(driver);
    if (!pending) {
      pending = internal(this.client, 'device-list-properties', { typename: driver }, { internal: true })
        .then((reply) => propertiesFrom(reply), () => [])
        .then((properties) => void this.known.set(driver, properties))
        .finally(() => this.loading.delete(driver));
      this.loading.set(driver, pending);
    }
    return pending;
  }
}

function propertiesFrom(reply: unknown): DeviceProperty[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((p) =>
    isObject(p) && typeof p.name === 'string' && typeof p.type === 'string' && p.name !== ''
      ? [{ name: p.name, type: p.type, ...(typeof p.description === 'string' ? { description: p.description } : {}) }]
      : [],
  );
}
