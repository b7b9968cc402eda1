/**
 * Shell completion's answers: `qmpsh --_complete LINE` (the scripts in
 * completion/scripts.ts call it with the line up to the cursor) prints one
 * candidate per line: options (from the option table), their values, then
 * (with a target on the line) command names and argument names and values
 * from that QEMU's schema, cached after the first time. `__files__` asks the
 * shell to complete a path. Nothing is ever printed on stderr.
 */
import { parseAddress } from '../../address.js';
import { Schema } from '../../schema/schema.js';
import { QmpClient } from '../../session.js';
import { tokenize } from '../../shell/tokenize.js';
import { parseSshTarget } from '../../transport/ssh.js';
import { SchemaAccess } from '../core/schema-access.js';
import { OPTIONS, optionFor } from '../options/table.js';
import { expandLocalTarget, isGlobTarget, isTargetWord, looksLikeTarget, unescapedTarget } from '../options/targets.js';
import { SchemaArgumentCompleter } from './arguments.js';
import { DevicePropertyCache } from './device-properties.js';

/** Every option as typed: `--timeout`, `-v`, ... (the table's, nothing else). */
export function optionWords(): string[] {
  return OPTIONS.flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);
}

/**
 * What a shell may be handed: QAPI names, `key=`, `a.b=`, enum values. A name
 * from the peer with anything else in it (a control character, `$(...)`, a
 * quote, a space) is dropped: shells insert candidates into the command line.
 */
const SHELL_SAFE = /^[A-Za-z0-9_.+:=,@/%~-]*$/;

/** Candidates for the last (partial) word of `line`, one per line; only shell-safe ones. */
export async function completeLine(line: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  return (await candidates(line, env)).filter((c) => SHELL_SAFE.test(c));
}

async function candidates(line: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const words = wordsOf(line.trimStart());
  if (/\s$/.test(line) || words.length <= 1) words.push('');
  words.shift(); // the program's name
  let partial = words.pop() as string;
  const previous = words[words.length - 1];
  const previousSpec = previous?.startsWith('-') ? optionFor(previous) : undefined;
  let valueSpec = previousSpec?.value ? previousSpec : undefined;
  // `--option=value`: the value, answered as whole words (`--completion=bash`).
  let wrap = '';
  const inline = /^(--[A-Za-z0-9][A-Za-z0-9-]*)=/.exec(partial);
  if (inline && optionFor(inline[1] as string)?.value) {
    valueSpec = optionFor(inline[1] as string);
    wrap = inline[0];
    partial = partial.slice(wrap.length);
  }
  const wrapped = (names: string[]) => names.filter((n) => n.startsWith(partial)).map((n) => wrap + n);

  // After `--` (with --launch) comes QEMU's command line: not ours.
  if (words.includes('--')) return [];
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w.startsWith('-')) {
      const spec = optionFor(w);
      if (spec?.value && !spec.optionalValue) i++;
      continue;
    }
    positionals.push(w);
  }
  if (valueSpec && (wrap || !valueSpec.optionalValue)) {
    const how = valueSpec.complete ?? 'none';
    if (Array.isArray(how)) return wrapped(how as string[]);
    if (how === 'files') return ['__files__'];
    if (how === 'none') return [];
  }
  if (partial.startsWith('-')) return optionWords().filter((o) => o.startsWith(partial));

  // `@NAME` of a VM on this host (or ssh://host/@NAME): the target being typed.
  const atName = /^(ssh:\/\/[^/]+\/)?@/.exec(partial);
  if (atName && !wrap && (positionals.length === 0 || positionals.every(looksLikeTarget))) {
    return (await vmNames(atName[1])).map((n) => `${atName[1] ?? ''}@${n}`).filter((c) => c.startsWith(partial));
  }
  const hasTarget = positionals.length > 0 && !(env.QMPSH_TARGET && !isTargetWord(positionals[0] as string));
  const target = hasTarget ? (positionals.shift() as string) : env.QMPSH_TARGET;
  if (!target) return wrap ? [] : ['__files__'];
  // More targets (fan-out) may follow the first one.
  while (positionals.length > 0 && isTargetWord(positionals[0] as string)) positionals.shift();
  if (positionals.length === 0 && !previousSpec && !wrap && (partial.includes('/') || partial.startsWith('.'))) return ['__files__'];
  const command = positionals.shift();
  return onTarget(await addressOfTarget(target), async (schema, devices) => {
    if (valueSpec?.complete === 'events') return wrapped(schema.events);
    if (valueSpec?.complete === 'names') return wrapped([...schema.commands, ...schema.events]);
    if (command === undefined) return schema.commands.filter((c) => c.startsWith(partial));
    // device_add driver=X: X's own properties, asked of the same QEMU.
    await devices.forLine(command, positionals);
    const completer = new SchemaArgumentCompleter(() => schema, () => ({ devices: [], nodes: [], jobs: [], ids: [] }), devices);
    return completer.complete(command, positionals, partial);
  });
}

/**
 * The line's words as the shell will pass them: quotes and backslashes
 * removed. The word being typed may still be inside a quote (`'driver=nu`):
 * it is taken as if the quote were closed.
 */
function wordsOf(line: string): string[] {
  for (const close of ['', "'", '"']) {
    const tokens = tokenize(line + close);
    if (tokens.ok) return tokens.words;
  }
  return line.trim().split(/\s+/).filter(Boolean);
}

/** `@NAME` -> its monitor's address; anything else as it is. */
async function addressOfTarget(given: string): Promise<string> {
  // What parsing takes it for (targets.ts): `vm\[1\].qmp` is the file vm[1].qmp.
  const target = unescapedTarget(given);
  // A glob asks the first socket it names (the one fan-out would take first).
  if (isGlobTarget(target) && !target.startsWith('@') && !target.startsWith('ssh://')) {
    const [first] = expandLocalTarget(target);
    return first && !first.missing ? first.address : target;
  }
  if (!target.startsWith('@') && !target.includes('/@')) return target;
  const { isNameTarget, listings, resolveName } = await import('../core/names.js');
  if (!isNameTarget(target)) return target;
  const all = listings(3000);
  try {
    return await resolveName(target, all);
  } catch {
    return target;
  } finally {
    all.release();
  }
}

/** The names of the VMs on this host, or on ssh://host/ (quickly, or none). */
async function vmNames(host: string | undefined): Promise<string[]> {
  try {
    const { listHost } = await import('../../ps/hosts.js');
    const { nameOf } = await import('../../ps/names.js');
    const listing = await listHost(host ? parseSshTarget(host) : undefined, 3000);
    listing.release();
    return [...new Set(listing.vms.map(nameOf))].sort();
  } catch {
    return [];
  }
}

/**
 * Runs `work` with the target's schema (the cache, else fetched once) and its
 * device properties, on one connection made quickly or not at all: no answer
 * is nothing to offer.
 */
async function onTarget(target: string, work: (schema: Schema, devices: DevicePropertyCache) => Promise<string[]>): Promise<string[]> {
  let client: QmpClient | undefined;
  try {
    client = await QmpClient.connect(parseAddress(target), { connectTimeoutMs: 1000, commandTimeoutMs: 3000 });
    const schema = await new SchemaAccess(client, { validate: true, warn: () => {}, note: () => {} }).full();
    return schema ? await work(schema, new DevicePropertyCache(client)) : [];
  } catch {
    return [];
  } finally {
    client?.close();
  }
}
