/**
 * The schema, fetched once per QEMU build and kept on disk:
 * $XDG_CACHE_HOME/qmpsh/schema-KEY.json (the whole schema) and
 * schema-KEY.commands.json (just the commands: what a command without
 * arguments needs, small enough to cost nothing measurable), and
 * schema-KEY.d/COMMAND.json (a command with every type its arguments reach:
 * what typing its key=value needs, a few KB instead of 200). KEY is QEMU's
 * version and a hash of its package string. Files are 0600, written
 * atomically; a cache that cannot be read or written is simply not used.
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

/** `7.2.22-1a2b3c4d`: the version, and an FNV-1a hash of the package string. */
export function schemaKey(greeting: Greeting): string {
  const { major, minor, micro } = greeting.QMP.version.qemu;
  let h = 0x811c9dc5;
  for (const ch of greeting.QMP.version.package ?? '') {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${major}.${minor}.${micro}-${h.toString(16).padStart(8, '0')}`;
}

type Part = 'full' | 'commands' | { command: string };

const COMMAND_FILE_NAME = /^[A-Za-z0-9_.+-]+$/;

const file = (dir: string, key: string, part: Part) =>
  part === 'full'
    ? path.join(dir, `schema-${key}.json`)
    : part === 'commands'
      ? path.join(dir, `schema-${key}.commands.json`)
      : path.join(dir, `schema-${key}.d`, `${part.command}.json`);

export function readCachedSchema(dir: string, key: string, part: Part): Schema | undefined {
  if (typeof part === 'object' && !COMMAND_FILE_NAME.test(part.command)) return undefined;
  try {
    const fd = fs.openSync(file(dir, key, part), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      return Schema.from(JSON.parse(fs.readFileSync(fd, 'utf8')));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

export function writeCachedSchema(dir: string, key: string, entries: readonly SchemaEntry[]): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const commands = entries.filter((e) => e['meta-type'] === 'command');
    const write = (target: string, data: unknown) => {
      const tmp = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
      fs.renameSync(tmp, target);
    };
    fs.mkdirSync(path.join(dir, `schema-${key}.d`), { recursive: true, mode: 0o700 });
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const command of commands) {
      if (COMMAND_FILE_NAME.test(command.name)) {
        write(file(dir, key, { command: command.name }), closure(command, byName));
      }
    }
    // The index and the whole schema last: their presence says the rest is there.
    write(file(dir, key, 'commands'), commands);
    write(file(dir, key, 'full'), entries);
  } catch {
    // a read-only home: fetch again next time
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
    for (const m of entry.members ?? []) if ('type' in m) pending.push(m.type);
    for (const v of entry.variants ?? []) pending.push(v.type);
    if (entry['element-type']) pending.push(entry['element-type']);
  }
  return [...out.values()];
}
