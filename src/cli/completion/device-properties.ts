/**
 * device_add's driver properties for completion, asked of the live QEMU
 * (`device-list-properties typename=DRIVER`) once per driver and session: the
 * REPL keeps them for its session, shell completion for its one connection.
 * A driver QEMU does not know (or a failed look-up) completes to nothing.
 */
import type { DeviceProperty } from '../../schema/device-props.js';
import type { QmpClient } from '../../session.js';
import { fetchDeviceProperties } from '../core/device-properties.js';
import { givenValue, type DeviceNames } from './arguments.js';

export class DevicePropertyCache implements DeviceNames {
  private readonly known = new Map<string, readonly DeviceProperty[]>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(private readonly client: QmpClient) {}

  /** The driver's properties, if looked up already. */
  get(driver: string): readonly DeviceProperty[] | undefined {
    return this.known.get(driver);
  }

  properties(driver: string): readonly DeviceProperty[] | undefined {
    return this.get(driver);
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
      pending = fetchDeviceProperties(this.client, driver)
        .catch(() => [])
        .then((properties) => void this.known.set(driver, properties))
        .finally(() => this.loading.delete(driver));
      this.loading.set(driver, pending);
    }
    return pending;
  }
}
