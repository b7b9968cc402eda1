/**
 * The schema, fetched once per QEMU build and kept on disk:
 * $XDG_CACHE_HOME/qmpsh/schema-KEY.json (the whole schema) and
 * schema-KEY.commands.json (just the commands: what a command without
 * arguments needs, small enough to cost nothing measurable). KEY is QEMU's
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

const file = (dir: string, key: string, part: 'full' | 'commands') =>
  path.join(dir, part === 'full' ? `schema-${key}.json` : `schema-${key}.commands.json`);

export function readCachedSchema(dir: string, key: string, part: 'full' | 'commands'): Schema | undefined {
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
    for (const [part, data] of [['full', entries], ['commands', commands]] as const) {
      const target = file(dir, key, part);
      const tmp = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
      fs.renameSync(tmp, target);
    }
  } catch {
    // a read-only home: fetch again next time
  }
}
