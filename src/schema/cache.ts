/**
 * The schema, fetched once per QEMU build and kept on disk:
 * $XDG_CACHE_HOME/qmpsh/schema-KEY.json (the whole schema) and
 * schema-KEY.commands.json (just the commands: what a command without
 * arguments needs, small enough to cost nothing measurable), and
 * schema-KEY.d/COMMAND.json (a command with every type its arguments reach:
 * what typing its key=value needs, a few KB instead of 200). Files are 0600,
 * written atomically; a cache that cannot be read or written is simply not
 * used.
 *
 * Everything here came from a peer, so nothing is trusted: no file name is
 * built from peer text (KEY is QEMU's version, three non-negative integers,
 * and a hash of its package string; a command name that is not a plain QAPI
 * name is hashed), and every file read is checked to be the shape it should
 * be (`Schema.from`, and a slice must hold its command and every type it
 * names). What the cache says is still only a peer's word: the caller asks
 * the live schema before it refuses anything (cli/core/schema-access.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Greeting } from '../protocol/messages.js';
import { Schema, type SchemaEntry } from './schema.js';

export function schemaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
    ? env.XDG_CACHE_HOME
    : path.join(env.HOME ?? os.homedir(), '.cache');
  return path.join(base, 'qmpsh');
}

const isVersionNumber = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * `7.2.22-1a2b3c4d-x86_64`: the version, an FNV-1a hash of the package
 * string and, when known, what kind of peer this is: the emulator's target
 * (query-target's arch), or `none` for a peer without one. The version and
 * package alone do not tell apart the peers of one build: qemu-storage-daemon
 * greets exactly as the emulator built with it, and so does each of the
 * build's emulators, with other schemas. An arch that is not a plain name is
 * hashed. Undefined (no cache for this peer) when the greeting's version is
 * not three non-negative safe integers and a string: a peer's text is never
 * a path.
 */
export function schemaKey(greeting: Greeting, kind?: string): string | undefined {
  const version = (greeting.QMP as { version?: { qemu?: unknown; package?: unknown } }).version;
  const qemu = version?.qemu as { major?: unknown; minor?: unknown; micro?: unknown } | undefined;
  const pkg = version?.package ?? '';
  if (!qemu || !isVersionNumber(qemu.major) || !isVersionNumber(qemu.minor) || !isVersionNumber(qemu.micro)) {
    return undefined;
  }
  if (typeof pkg !== 'string') return undefined;
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const base = `${qemu.major}.${qemu.minor}.${qemu.micro}-${hex(fnv1a32(pkg))}`;
  if (kind === undefined) return base;
  return `${base}-${/^[a-z0-9_]{1,32}$/.test(kind) ? kind : `=${hex(fnv1a32(kind))}`}`;
}

function fnv1a32(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

type Part = 'full' | 'commands' | { command: string };

/**
 * A QAPI name (letters, digits, '-', '_'; '.' only in a downstream prefix such
 * as `__com.redhat_`) is its own file name. Anything else, a name a peer made
 * up ('..', 'a/b', 300 characters), gets `=HASH` instead: 64 bits of two
 * FNV-1a hashes. A collision costs nothing worse than a slice that does not
 * hold its command, which reading rejects.
 */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

export function commandFileName(command: string): string {
  if (PLAIN_NAME.test(command)) return `${command}.json`;
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return `=${hex(fnv1a32(command))}${hex(fnv1a32(command, 0x01000193))}.json`;
}

const file = (dir: string, key: string, part: Part) =>
  part === 'full'
    ? path.join(dir, `schema-${key}.json`)
    : part === 'commands'
      ? path.join(dir, `schema-${key}.commands.json`)
      : path.join(dir, `schema-${key}.d`, commandFileName(part.command));

/**
 * A part of the cache: the schema, 'missing' (not cached: the normal first
 * use), or 'malformed' (there, but not what it should be: fetch anew).
 */
export type CacheRead = Schema | 'missing' | 'malformed';

export function readCachedSchema(dir: string, key: string, part: Part): CacheRead {
  let text: string;
  try {
    const fd = fs.openSync(file(dir, key, part), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'malformed';
  }
  let schema: Schema | undefined;
  try {
    schema = Schema.from(JSON.parse(text));
  } catch {
    return 'malformed';
  }
  if (!schema) return 'malformed';
  // The index: commands, and the argument types that are empty (so that a
  // command given no arguments is known to need none without its own file).
  if (part === 'commands' && ![...schema.entries].every((e) => e['meta-type'] === 'command' || isEmptyObject(e))) return 'malformed';
  if (typeof part === 'object' && !(schema.command(part.command) && schema.isClosed(part.command))) return 'malformed';
  return schema;
}

/**
 * Writes the cache for `entries`. With `unlessSame`, the whole schema's file
 * is compared first and nothing is written when it already says the same.
 */
export function writeCachedSchema(dir: string, key: string, entries: readonly SchemaEntry[], options: { unlessSame?: boolean } = {}): void {
  try {
    const text = JSON.stringify(entries);
    if (options.unlessSame) {
      try {
        if (fs.readFileSync(file(dir, key, 'full'), 'utf8') === text) return;
      } catch {
        // not there: write it
      }
    }
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const commands = entries.filter((e) => e['meta-type'] === 'command');
    const write = (target: string, data: string) => {
      const tmp = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, data, { mode: 0o600 });
      fs.renameSync(tmp, target);
    };
    fs.mkdirSync(path.join(dir, `schema-${key}.d`), { recursive: true, mode: 0o700 });
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const command of commands) {
      write(file(dir, key, { command: command.name }), JSON.stringify(closure(command, byName)));
    }
    // The index and the whole schema last: their presence says the rest is there.
    const argTypes = new Set(commands.map((c) => c['arg-type']));
    const empty = entries.filter((e) => argTypes.has(e.name) && isEmptyObject(e));
    write(file(dir, key, 'commands'), JSON.stringify([...commands, ...empty]));
    write(file(dir, key, 'full'), text);
  } catch {
    // a read-only home, or a schema JSON cannot hold: fetch again next time
  }
}

/** A command and every type its arguments reach (members, variants, elements, alternatives). */
function closure(command: SchemaEntry, byName: Map<string, SchemaEntry>): SchemaEntry[] {
  const out = new Map<string, SchemaEntry>([[command.name, command]]);
  const pending = command['arg-type'] ? [command['arg-type']] : [];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    const entry = byName.get(name);
    if (!entry || out.has(name)) continue;
    out.set(name, entry);
    pending.push(...Schema.typesNamedBy(entry));
  }
  return [...out.values()];
}

function isEmptyObject(e: SchemaEntry): boolean {
  return e['meta-type'] === 'object' && Array.isArray(e.members) && e.members.length === 0 && !e.tag && !e.variants;
}
