/**
 * Human-readable descriptions of commands and events from the live schema
 * (--describe, and `help CMD` in the REPL). Pure: text in, text out.
 */
import { UsageError } from '../errors.js';
import { Schema, suggest } from './schema.js';

const MAX_DEPTH = 3;

/** Every feature the schema names (deprecated, unstable, json-cli, json-cli-hotplug, ...). */
function flags(features: string[] | undefined): string {
  const shown = features ?? [];
  return shown.length ? ` [${shown.join(', ')}]` : '';
}

/** One line per command (or event), with its deprecated/unstable marks. */
export function listNames(schema: Schema, kind: 'command' | 'event'): string {
  const names = kind === 'command' ? schema.commands : schema.events;
  return names.map((n) => `${n}${flags(schema.entry(n)?.features)}`).join('\n');
}

/**
 * A command or event, member by member. `select` (`driver=qcow2`) picks one
 * variant of a command whose arguments are a flat union (blockdev-add).
 */
export function describeName(schema: Schema, name: string, select: readonly string[] = []): string {
  const command = schema.command(name);
  if (command) {
    const argType = command['arg-type'];
    const variant = selectVariant(schema, name, argType, select);
    const lines = [`${name}${flags(command.features)}  (command)${variant ? ` with ${variant.tag}=${variant.value}` : ''}`];
    const args = argType ? membersBlock(schema, argType, '  ', 0, variant?.value) : [];
    lines.push(args.length ? '  arguments (? = optional):' : '  arguments: none');
    lines.push(...args.map((l) => `  ${l}`));
    lines.push(`  returns: ${returns(schema, command['ret-type'])}`);
    // What comes back, member by member (an object, or a list of objects).
    const ret = returnedObject(schema, command['ret-type']);
    if (ret) lines.push(...membersBlock(schema, ret, '    ', 0));
    if (command['allow-oob']) lines.push('  may run out-of-band (exec-oob)');
    return lines.join('\n');
  }
  const event = schema.event(name);
  if (event && select.length > 0) throw new UsageError(`'${name}' is an event: ${select[0]} picks nothing in it`);
  if (event) {
    const lines = [`${name}${flags(event.features)}  (event)`];
    const data = event['arg-type'] ? membersBlock(schema, event['arg-type'], '  ', 0) : [];
    lines.push(data.length ? '  data (? = optional):' : '  data: none');
    lines.push(...data.map((l) => `  ${l}`));
    return lines.join('\n');
  }
  const close = suggest(name, [...schema.commands, ...schema.events]);
  throw new UsageError(
    `no command or event named '${name}' in this QEMU${close.length ? `: did you mean ${close.join(', ')}?` : ''}`,
  );
}

/** The object type a command returns, or the element type of the list it returns. */
function returnedObject(schema: Schema, retType: string | undefined): string | undefined {
  const t = retType ? schema.entry(retType) : undefined;
  if (!t) return undefined;
  if (t['meta-type'] === 'object' && ((t.members ?? []).length > 0 || t.tag)) return retType;
  const element = t['meta-type'] === 'array' ? t['element-type'] : undefined;
  return element && schema.entry(element)?.['meta-type'] === 'object' ? element : undefined;
}

function returns(schema: Schema, retType: string | undefined): string {
  if (!retType) return 'nothing';
  const t = schema.entry(retType);
  if (t?.['meta-type'] === 'object' && (t.members ?? []).length === 0 && !t.tag) return 'nothing ({})';
  return schema.label(retType);
}

/** The variant `select` names (TAG=VALUE, the union's own tag), checked. */
function selectVariant(schema: Schema, name: string, argType: string | undefined, select: readonly string[]): { tag: string; value: string } | undefined {
  if (select.length === 0) return undefined;
  const type = argType ? schema.entry(argType) : undefined;
  if (!type?.tag || !type.variants) {
    throw new UsageError(`'${name}' has no variants to pick: give no ${select[0]}`);
  }
  const [word, ...more] = select;
  const [key, value] = (word as string).split(/=(.*)/s) as [string, string];
  if (more.length > 0 || key !== type.tag) {
    throw new UsageError(`'${name}' picks its variant by ${type.tag} alone: give ${type.tag}=VALUE`);
  }
  const cases = type.variants.map((v) => v.case);
  if (!cases.includes(value)) {
    const close = suggest(value, cases);
    throw new UsageError(`'${type.tag}' of ${name} is one of ${cases.join(', ')}; not ${JSON.stringify(value)}${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}`);
  }
  return { tag: type.tag, value };
}

/** Lines for an object's members, nested objects indented below their member. */
function membersBlock(schema: Schema, typeName: string, indent: string, depth: number, tagValue?: string): string[] {
  const type = schema.entry(typeName);
  if (!type || type['meta-type'] !== 'object') return [];
  const members = schema.objectMembers(typeName, tagValue);
  const width = Math.min(28, Math.max(0, ...members.map((m) => m.name.length + 1)));
  const out: string[] = [];
  for (const m of members) {
    const name = `${m.name}${'default' in m ? '?' : ''}`;
    out.push(`${indent}${name.padEnd(width)}  ${schema.label(m.type)}${flags(m.features)}`);
    const member = schema.entry(m.type);
    const objectType =
      member?.['meta-type'] === 'object'
        ? m.type
        : member?.['meta-type'] === 'array' && schema.entry(member['element-type'] ?? '')?.['meta-type'] === 'object'
          ? (member['element-type'] as string)
          : undefined;
    if (objectType && depth < MAX_DEPTH) out.push(...membersBlock(schema, objectType, `${indent}  `, depth + 1));
  }
  if (type.tag && type.variants && tagValue === undefined) {
    const cases = type.variants.map((v) => v.case);
    out.push(`${indent}(more arguments depending on ${type.tag}: ${cases.join(', ')})`);
  }
  return out;
}
