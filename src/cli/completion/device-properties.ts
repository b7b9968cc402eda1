/**
 * device_add's driver properties for completion, asked of the live QEMU
 * (`device-list-properties typename=DRIVER`) once per driver and session: the
 * REPL keeps them for its session, shell completion for its one connection.
 * A driver QEMU does not know (or a failed look-up) completes to nothing.
 */
import type { DeviceProperty } from '../../schema/device-props.js';
import type { QmpClient } from '../../session.js';
import { fetchDeviceProperties } from '../core/device-properties.js';
import { isObject } from '../../protocol/messages.js';
import { internal } from '../core/internal.js';
import { givenValue, type DeviceNames } from './arguments.js';

export class DevicePropertyCache implements DeviceNames {
  private driverNames: string[] | undefined;
  private driversLoading: Promise<void> | undefined;
  private readonly known = new Map<string, readonly DeviceProperty[]>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(private readonly client: QmpClient) {}

  /** The driver's properties, if looked up already. */
  get(driver: string): readonly DeviceProperty[] | undefined {
    return this.known.get(driver);
  }

  drivers(): readonly string[] | undefined {
    return this.driverNames;
  }

  properties(driver: string): readonly DeviceProperty[] | undefined {
    return this.get(driver);
  }

  /**
   * What a `device_add` line needs, if not yet known: the drivers when
   * `driver=` is being typed, the named driver's properties otherwise.
   */
  async forLine(command: string | undefined, words: readonly string[], partial = ''): Promise<void> {
    if (command !== 'device_add') return;
    if (partial.startsWith('driver=')) return this.loadDrivers();
    const driver = givenValue(words, 'driver');
    if (driver) await this.load(driver);
  }

  /** Device types that can be created (qom-list-types implements=device abstract=false). */
  private loadDrivers(): Promise<void> {
    this.driversLoading ??= internal(this.client, 'qom-list-types', { implements: 'device', abstract: false }, { internal: true })
      .then((reply) => (Array.isArray(reply) ? reply.map((t) => (isObject(t) ? t.name : undefined)).filter((n): n is string => typeof n === 'string') : []))
      .catch(() => [])
      .then((names) => void (this.driverNames = names));
    return this.driversLoading;
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
