/**
 * device_add takes the device's own properties beyond its schema (the schema
 * marks it with the features json-cli / json-cli-hotplug: its arguments are
 * driver, bus, id and whatever the driver has). Those are typed here from the
 * live QEMU's `device-list-properties typename=DRIVER`, so `mac=`, `drive=`,
 * `vectors=4` and `ioeventfd=off` reach QEMU as the device wants them, and a
 * misspelt property is refused with suggestions before anything is sent.
 * Pure: the property list is given.
 */
import { UsageError } from '../errors.js';
import type { JsonObject } from '../protocol/messages.js';
import { jsonValue, type RawArg } from '../shell/parse.js';
import { suggest } from './schema.js';
import { BOOLEANS } from './typed-args.js';

export interface DeviceProperty {
  name: string;
  /** QOM type: bool, str, uint32, int64, size, link<...>, OnOffAuto, macaddr, ... */
  type: string;
  description?: string;
  /** `default-value` (QEMU 5.0 and later), when a plain value. */
  default?: string | number | boolean;
}

const INTEGER_TYPES = /^(u?int(8|16|32|64)|size)$/;

/** The device's properties typed by their QOM types; refuses what the driver does not have. */
export function typedDeviceProperties(driver: string, words: readonly RawArg[], properties: readonly DeviceProperty[]): JsonObject {
  const byName = new Map(properties.map((p) => [p.name, p]));
  const out: JsonObject = {};
  for (const w of words) {
    const property = byName.get(w.key);
    if (!property) {
      const close = suggest(w.key, [...byName.keys()]);
      throw new UsageError(
        `'${driver}' has no property '${w.key}'${close.length ? `: did you mean ${close.join(', ')}?` : ''} (qmpsh TARGET device-list-properties typename=${driver} lists them)`,
      );
    }
    out[w.key] = w.json ? jsonValue(w.key, w.raw) : typed(property, w.raw);
  }
  return out;
}

function typed(property: DeviceProperty, raw: string): JsonObject[string] {
  if (property.type === 'bool') {
    const b = BOOLEANS[raw.toLowerCase()];
    if (b === undefined) throw new UsageError(`property '${property.name}' is a bool: on/off, true/false, yes/no, not '${raw}'`);
    return b;
  }
  if (INTEGER_TYPES.test(property.type)) {
    if (!/^[+-]?\d+$/.test(raw)) throw new UsageError(`property '${property.name}' is ${property.type}: a whole number, not '${raw}'`);
    const n = BigInt(raw);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  // str, link<...>, enums (OnOffAuto, ...), macaddr, netdev, drive, ...: text as typed.
  return raw;
}

/** Lines for --describe device_add driver=DRIVER: each property, its QOM type, default and description. */
export function describeDeviceProperties(driver: string, properties: readonly DeviceProperty[]): string[] {
  if (properties.length === 0) return [`  ${driver}'s own properties: none`];
  const sorted = [...properties].sort((a, b) => a.name.localeCompare(b.name));
  const nameWidth = Math.min(28, Math.max(...sorted.map((p) => p.name.length)));
  const typeWidth = Math.min(20, Math.max(...sorted.map((p) => p.type.length)));
  return [
    `  ${driver}'s own properties (device-list-properties):`,
    ...sorted.map((p) => {
      const more = [p.default !== undefined ? `default ${String(p.default)}` : '', p.description ?? ''].filter(Boolean).join('; ');
      return `    ${p.name.padEnd(nameWidth)}  ${p.type.padEnd(typeWidth)}${more ? `  ${more}` : ''}`.trimEnd();
    }),
  ];
}
