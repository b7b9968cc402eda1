/**
 * QEMU's API as `query-qmp-schema` describes it (qapi/introspect.json,
 * SchemaInfo). Pure. Type names other than the builtins are masked numbers
 * ("19", "49"): only commands and events have real names.
 */
import { isObject, type JsonObject } from '../protocol/messages.js';
import type { JsonValue } from '../protocol/json.js';

export interface SchemaMember {
  name: string;
  type: string;
  /** Present (null) when the member is optional (introspect.json SchemaInfoObjectMember). */
  default?: null;
  features?: string[];
}

export interface SchemaEntry {
  name: string;
  'meta-type': 'builtin' | 'enum' | 'array' | 'object' | 'alternate' | 'command' | 'event';
  features?: string[];
  // command / event
  'arg-type'?: string;
  'ret-type'?: string;
  'allow-oob'?: boolean;
  // builtin
  'json-type'?: 'string' | 'number' | 'int' | 'boolean' | 'null' | 'object' | 'array' | 'value';
  // enum (QEMU >= 6.2 has members; older ones only values)
  values?: string[];
  // array
  'element-type'?: string;
  // object
  members?: Array<SchemaMember | { name: string; features?: string[] } | { type: string }>;
  tag?: string;
  variants?: Array<{ case: string; type: string }>;
}

export class Schema {
  private readonly byName = new Map<string, SchemaEntry>();
  readonly commands: string[] = [];
  readonly events: string[] = [];

  constructor(entries: readonly SchemaEntry[]) {
    for (const e of entries) {
      this.byName.set(e.name, e);
      if (e['meta-type'] === 'command') this.commands.push(e.name);
      else if (e['meta-type'] === 'event') this.events.push(e.name);
    }
    this.commands.sort();
    this.events.sort();
  }

  /**
   * Checks the shape of a query-qmp-schema reply, or of what the cache says
   * it was: undefined unless every entry is what introspect.json describes
   * (names unique, members, variants, values and features of the right
   * types), so that nothing built on it meets a surprise. Meta-types a later
   * QEMU may add pass unchecked: nothing here reads them.
   */
  static from(value: JsonValue): Schema | undefined {
    if (!Array.isArray(value) || value.length === 0 || !value.every(isEntry)) return undefined;
    const schema = new Schema(value as unknown as SchemaEntry[]);
    return schema.size === value.length ? schema : undefined;
  }

  /** The type names an entry refers to (an object's members and variants, an alternate's, an array's element). */
  static typesNamedBy(entry: SchemaEntry): string[] {
    const out: string[] = [];
    if (entry['meta-type'] === 'object' || entry['meta-type'] === 'alternate') {
      for (const m of entry.members ?? []) if ('type' in m) out.push(m.type);
    }
    for (const v of entry.variants ?? []) out.push(v.type);
    if (entry['element-type'] !== undefined) out.push(entry['element-type']);
    return out;
  }

  /** Every entry. */
  get entries(): IterableIterator<SchemaEntry> {
    return this.byName.values();
  }

  /** How many entries (names) there are. */
  get size(): number {
    return this.byName.size;
  }

  /** Every type the command's arguments reach is here (a slice of the schema that lost nothing). */
  isClosed(command: string): boolean {
    const argType = this.command(command)?.['arg-type'];
    const pending = argType === undefined ? [] : [argType];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const entry = this.byName.get(name);
      if (!entry) return false;
      pending.push(...Schema.typesNamedBy(entry));
    }
    return true;
  }

  entry(name: string): SchemaEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * Whether the command can be sent with no arguments at all: true when it
   * takes none or only optional ones; undefined when its argument type is not
   * here (the commands index holds only empty ones).
   */
  takesNoArguments(command: string): boolean | undefined {
    const argType = this.command(command)?.['arg-type'];
    if (argType === undefined) return true;
    const type = this.byName.get(argType);
    if (!type) return undefined;
    if (type['meta-type'] !== 'object') return false;
    return ((type.members ?? []) as SchemaMember[]).every((m) => 'default' in m);
  }

  command(name: string): SchemaEntry | undefined {
    const e = this.byName.get(name);
    return e?.['meta-type'] === 'command' ? e : undefined;
  }

  event(name: string): SchemaEntry | undefined {
    const e = this.byName.get(name);
    return e?.['meta-type'] === 'event' ? e : undefined;
  }

  enumValues(type: SchemaEntry): string[] {
    if (type.values) return type.values;
    return (type.members ?? []).map((m) => (m as { name: string }).name);
  }

  /**
   * The members of an object type; for a union whose tag value is given, the
   * members of that variant too (flat unions, e.g. blockdev-add's `driver`).
   */
  objectMembers(typeName: string, tagValue?: string): SchemaMember[] {
    const type = this.byName.get(typeName);
    if (!type || type['meta-type'] !== 'object') return [];
    const own = (type.members ?? []) as SchemaMember[];
    if (!type.tag || tagValue === undefined) return own;
    const variant = type.variants?.find((v) => v.case === tagValue);
    if (!variant) return own;
    const names = new Set(own.map((m) => m.name));
    return [...own, ...this.objectMembers(variant.type).filter((m) => !names.has(m.name))];
  }

  /** The members of a command's arguments (none when it takes none). */
  argumentMembers(command: string, tagValue?: string): SchemaMember[] {
    const argType = this.command(command)?.['arg-type'];
    return argType ? this.objectMembers(argType, tagValue) : [];
  }

  /** A short, readable name for a type: int, str, bool, enum (a, b), array of str, object, str or null. */
  label(typeName: string, depth = 0): string {
    const t = this.byName.get(typeName);
    if (!t) return typeName;
    switch (t['meta-type']) {
      case 'builtin':
        return t.name === 'any' ? 'any JSON' : t.name;
      case 'enum': {
        const values = this.enumValues(t);
        return `enum (${values.length > 12 ? `${values.slice(0, 12).join(', ')}, ...` : values.join(', ')})`;
      }
      case 'array':
        return depth > 2 ? 'array' : `array of ${this.label(t['element-type'] ?? '', depth + 1)}`;
      case 'alternate':
        return depth > 2
          ? 'alternate'
          : ((t.members ?? []) as Array<{ type: string }>).map((m) => this.label(m.type, depth + 1)).join(' or ');
      case 'object':
        return t.tag ? `object (by ${t.tag})` : 'object';
      default:
        return t['meta-type'];
    }
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';
const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
const strings = (v: unknown) => v === undefined || (Array.isArray(v) && v.every(isString));
const arrayOf = (v: unknown, each: (item: JsonObject) => boolean) =>
  Array.isArray(v) && v.every((item) => isObject(item) && each(item));

/** One SchemaInfo (qapi/introspect.json) of the right shape. */
function isEntry(e: JsonValue): boolean {
  if (!isObject(e) || !isString(e.name) || !isString(e['meta-type']) || !strings(e.features)) return false;
  switch (e['meta-type']) {
    case 'command':
    case 'event':
      return optionalString(e['arg-type']) && optionalString(e['ret-type']) &&
        (e['allow-oob'] === undefined || typeof e['allow-oob'] === 'boolean');
    case 'builtin':
      return optionalString(e['json-type']);
    case 'enum':
      // QEMU >= 6.2 has members; older ones only values.
      return (e.values !== undefined || e.members !== undefined) && strings(e.values) &&
        (e.members === undefined || arrayOf(e.members, (m) => isString(m.name) && strings(m.features)));
    case 'array':
      return isString(e['element-type']);
    case 'object':
      return arrayOf(e.members, (m) => isString(m.name) && isString(m.type) && strings(m.features)) &&
        optionalString(e.tag) &&
        (e.variants === undefined || arrayOf(e.variants, (v) => isString(v.case) && isString(v.type)));
    case 'alternate':
      return arrayOf(e.members, (m) => isString(m.type));
    default:
      return true;
  }
}

/** Names in `candidates` closest to `name` (edit distance, or a shared prefix), best first. */
export function suggest(name: string, candidates: readonly string[], max = 3): string[] {
  const scored = candidates
    .map((c) => ({ c, d: distance(name, c), prefix: c.startsWith(name) ? 0 : 1, len: Math.abs(c.length - name.length) }))
    .filter(({ c, d }) => d <= Math.max(2, Math.floor(c.length / 3)) || c.startsWith(name) || name.startsWith(c))
    // Closest first; then a name that extends what was typed (query-cpus -> query-cpus-fast);
    // then the same length (a swap, query-stauts -> query-status, before a drop, query-stats).
    .sort((a, b) => a.d - b.d || a.prefix - b.prefix || a.len - b.len || a.c.localeCompare(b.c));
  return scored.slice(0, max).map((s) => s.c);
}

/** Edit distance where swapping two neighbours is one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  let before = Array.from({ length: b.length + 1 }, () => 0);
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length] as number;
}

export type { JsonObject };
