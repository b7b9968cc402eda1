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

const INTEGER_TYPES = /^(u?int(8|16|32|64)?|size)$/;

/** The device's properties typed by their QOM types; refuses what the driver does not have. */
export function typedDeviceProperties(
  driver: string,
  words: readonly RawArg[],
  properties: readonly DeviceProperty[],
  /** The command that lists them (object-add's come from qom-list-properties). */
  { lister = 'device-list-properties' }: { lister?: string } = {},
): JsonObject {
  const byName = new Map(properties.map((p) => [p.name, p]));
  const out: JsonObject = {};
  for (const w of words) {
    const property = byName.get(w.key);
    if (!property) {
      const close = suggest(w.key, [...byName.keys()]);
      throw new UsageError(
        `'${driver}' has no property '${w.key}'${close.length ? `: did you mean ${close.join(', ')}?` : ''} (qmpsh TARGET ${lister} typename=${driver} lists them)`,
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
    const size = property.type === 'size' ? sizeOf(raw) : undefined;
    if (size !== undefined) return size;
    if (!/^[+-]?\d+$/.test(raw)) {
      throw new UsageError(`property '${property.name}' is ${property.type}: a whole number${property.type === 'size' ? ' (or with a suffix: 512K, 1G)' : ''}, not '${raw}'`);
    }
    if (/^[+-]?0\d/.test(raw)) {
      throw new UsageError(`property '${property.name}' wants a decimal number without leading zeros: '${raw}' could be read as octal`);
    }
    const n = BigInt(raw);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  // str, link<...>, enums (OnOffAuto, ...), macaddr, netdev, drive, ...: text as typed.
  return raw;
}

const SUFFIXES: Readonly<Record<string, bigint>> = { b: 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n, p: 1n << 50n, e: 1n << 60n };

/** A size with QEMU's suffixes (512K, 1G, 1.5G: powers of 1024), in bytes; undefined when it has none. */
function sizeOf(raw: string): number | bigint | undefined {
  const m = /^(\d+)(?:\.(\d+))?([bkmgtpe])$/i.exec(raw);
  if (!m) return undefined;
  const unit = SUFFIXES[(m[3] as string).toLowerCase()] as bigint;
  const frac = m[2] ?? '';
  const scale = 10n ** BigInt(frac.length);
  const bytes = (BigInt(`${m[1]}${frac}`) * unit) / scale;
  if ((BigInt(`${m[1]}${frac}`) * unit) % scale !== 0n || bytes >= 1n << 64n) {
    throw new UsageError(`size '${raw}' is not a whole number of bytes below 2^64`);
  }
  return bytes <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(bytes) : bytes;
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
