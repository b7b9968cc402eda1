/**
 * Argument completion from the live schema: names (`key=` for what is not yet
 * given, `a.` for objects, nested `a.b=` paths), enum and bool values after
 * `key=`, and for well-known arguments the VM's live names (LiveNames).
 * device_add also takes the driver's own properties (device-list-properties):
 * names, and values for the bool and on/off/auto ones.
 */
import type { Schema, SchemaMember } from '../../schema/schema.js';
import type { DeviceProperty } from '../../schema/device-props.js';

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

/**
 * Commands that act on a job: their `device=` (block-job-*: the job's id,
 * which is the drive's name only when the job was started without job-id)
 * and `id=` (job-*) name a job, nothing else.
 */
const JOB_TARGET = /^(block-job-|job-)/;

/** What a bool takes, as typed (shell/parse.ts accepts yes/no too). */
const BOOL_VALUES = ['on', 'off', 'true', 'false'];

/**
 * A device_add driver's own properties (device-list-properties). Not the
 * drivers themselves: qom-list-types makes QEMU load every module it has,
 * which a Tab must not do to a running VM (QEMU 10.0 here aborted on a
 * module from another build).
 */
export interface DeviceNames {
  properties(driver: string): readonly DeviceProperty[] | undefined;
}

const NO_DEVICES: DeviceNames = { properties: () => undefined };

export interface LiveNameSets {
  devices: string[];
  nodes: string[];
  jobs: string[];
  ids: string[];
}

/** The value that `key=` was given among `words`, if any. */
export function givenValue(words: readonly string[], key: string): string | undefined {
  const word = words.find((w) => w.startsWith(`${key}=`));
  return word === undefined ? undefined : word.slice(key.length + 1);
}

export class SchemaArgumentCompleter implements ArgumentCompleter {
  constructor(
    private readonly schema: () => Schema | undefined,
    private readonly live: () => LiveNameSets,
    /** What device_add takes beyond its schema, when already known (fetched by the caller). */
    private readonly devices: DeviceNames = NO_DEVICES,
  ) {}

  complete(command: string, words: string[], partial: string): string[] {
    const schema = this.schema();
    if (!schema?.command(command)) return [];
    const given = words.map((w) => w.slice(0, Math.max(0, w.indexOf('=')))).filter(Boolean);
    const tagOf = (typeName: string, prefix: string): string | undefined => {
      const tag = schema.entry(typeName)?.tag;
      return tag ? givenValue(words, `${prefix}${tag}`) : undefined;
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
    const driver = command === 'device_add' && path.length === 0 ? givenValue(words, 'driver') : undefined;
    const properties = (driver && this.devices.properties(driver)) || [];

    if (eq >= 0) {
      const valuePrefix = partial.slice(eq + 1);
      const member = members.find((m) => m.name === last);
      const property = member ? undefined : properties.find((p) => p.name === last);
      const values = member ? this.values(schema, command, member) : property ? propertyValues(property) : [];
      return values.filter((v) => v.startsWith(valuePrefix)).map((v) => `${key}=${v}`);
    }
    const names = members
      .filter((m) => !given.includes(`${prefix}${m.name}`))
      .map((m) => `${prefix}${m.name}${objectTypeOf(schema, m) ? '.' : '='}`);
    const own = new Set(members.map((m) => m.name));
    // The driver's properties after its schema arguments (driver, bus, id), once each.
    const extra = properties.filter((p) => !own.has(p.name) && !given.includes(p.name)).map((p) => `${p.name}=`);
    return [...new Set([...names, ...extra])].filter((n) => n.startsWith(`${prefix}${last}`)).sort();
  }

  private values(schema: Schema, command: string, member: SchemaMember): string[] {
    const type = schema.entry(member.type);
    if (type?.['meta-type'] === 'enum') return schema.enumValues(type);
    if (type?.['meta-type'] === 'builtin' && type['json-type'] === 'boolean') return BOOL_VALUES;
    const live = this.live();
    if (JOB_TARGET.test(command) && (member.name === 'device' || member.name === 'id')) return [...new Set(live.jobs)].sort();
    const kind = LIVE_KIND[member.name];
    return kind ? [...new Set(live[kind])].sort() : [];
  }
}

/** Values a device property takes, when they are few: bools and QEMU's on/off/auto. */
function propertyValues(property: DeviceProperty): string[] {
  if (property.type === 'bool') return BOOL_VALUES;
  if (property.type === 'OnOffAuto') return ['on', 'off', 'auto'];
  if (property.type === 'OnOffSplit') return ['on', 'off', 'split'];
  return [];
}

function objectTypeOf(schema: Schema, member: SchemaMember): string | undefined {
  const t = schema.entry(member.type);
  if (t?.['meta-type'] === 'object') return member.type;
  if (t?.['meta-type'] === 'alternate') {
    return (t.members as Array<{ type: string }>).find((m) => schema.entry(m.type)?.['meta-type'] === 'object')?.type;
  }
  return undefined;
}
