/**
 * Argument completion from the live schema: names (`key=` for what is not yet
 * given, `a.` for objects, nested `a.b=` paths), enum and bool values after
 * `key=`, and for well-known arguments the VM's live names (LiveNames).
 */
import type { Schema, SchemaMember } from '../../schema/schema.js';

export interface ArgumentCompleter {
  /** Candidates for the word being typed after `command` (`words` are those before it). */
  complete(command: string, words: string[], partial: string): string[];
}

/** Argument names whose values are names of things in the VM, by kind. */
const LIVE_KIND: Record<string, keyof LiveNameSets> = {
  device: 'devices',
  'node-name': 'nodes',
  node: 'nodes',
  'job-id': 'jobs',
  id: 'ids',
};

export interface LiveNameSets {
  devices: string[];
  nodes: string[];
  jobs: string[];
  ids: string[];
}

export class SchemaArgumentCompleter implements ArgumentCompleter {
  constructor(
    private readonly schema: () => Schema | undefined,
    private readonly live: () => LiveNameSets,
  ) {}

  complete(command: string, words: string[], partial: string): string[] {
    const schema = this.schema();
    if (!schema?.command(command)) return [];
    const given = words.map((w) => w.slice(0, Math.max(0, w.indexOf('=')))).filter(Boolean);
    const tagOf = (typeName: string, prefix: string): string | undefined => {
      const tag = schema.entry(typeName)?.tag;
      const word = tag && words.find((w) => w.startsWith(`${prefix}${tag}=`));
      return word ? word.slice(word.indexOf('=') + 1) : undefined;
    };

    const eq = partial.indexOf('=');
    const key = eq >= 0 ? partial.slice(0, eq) : partial;
    const path = key.split('.');
    const last = path.pop() as string;
    // Walk to the object that holds the member being typed.
    let typeName = schema.command(command)?.['arg-type'];
    let prefix = '';
    for (const part of path) {
      if (!typeName) return [];
      const member = schema.objectMembers(typeName, tagOf(typeName, prefix)).find((m) => m.name === part);
      typeName = member && objectTypeOf(schema, member);
      prefix += `${part}.`;
    }
    if (!typeName) return [];
    const members = schema.objectMembers(typeName, tagOf(typeName, prefix));

    if (eq >= 0) {
      const member = members.find((m) => m.name === last);
      if (!member) return [];
      const valuePrefix = partial.slice(eq + 1);
      return this.values(schema, member)
        .filter((v) => v.startsWith(valuePrefix))
        .map((v) => `${key}=${v}`);
    }
    return members
      .filter((m) => m.name.startsWith(last) && !given.includes(`${prefix}${m.name}`))
      .map((m) => `${prefix}${m.name}${objectTypeOf(schema, m) ? '.' : '='}`)
      .sort();
  }

  private values(schema: Schema, member: SchemaMember): string[] {
    const type = schema.entry(member.type);
    if (type?.['meta-type'] === 'enum') return schema.enumValues(type);
    if (type?.['meta-type'] === 'builtin' && type['json-type'] === 'boolean') return ['on', 'off'];
    const kind = LIVE_KIND[member.name];
    return kind ? [...new Set(this.live()[kind])].sort() : [];
  }
}

function objectTypeOf(schema: Schema, member: SchemaMember): string | undefined {
  const t = schema.entry(member.type);
  if (t?.['meta-type'] === 'object') return member.type;
  if (t?.['meta-type'] === 'alternate') {
    return (t.members as Array<{ type: string }>).find((m) => schema.entry(m.type)?.['meta-type'] === 'object')?.type;
  }
  return undefined;
}
