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

  /** Checks the shape of a query-qmp-schema reply; undefined when it is not one. */
  static from(value: JsonValue): Schema | undefined {
    if (!Array.isArray(value) || value.length === 0) return undefined;
    if (!value.every((e) => isObject(e) && typeof e.name === 'string' && typeof e['meta-type'] === 'string')) {
      return undefined;
    }
    return new Schema(value as unknown as SchemaEntry[]);
  }

  entry(name: string): SchemaEntry | undefined {
    return this.byName.get(name);
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
