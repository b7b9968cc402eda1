/**
 * The schema cache holds what peers said: it is never a path. No file name
 * is built from peer data: version fields that are not non-negative safe
 * integers mean no cache at all for that session, and a command name that
 * could be a path is hashed.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeServer, type FakeConnection, type FakeServer } from '../helpers/fake-server.js';
import { runCli } from '../helpers/run-cli.js';

let root: string;
let servers: FakeServer[] = [];
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'qmpsh-schema-cache-'));
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let cases = 0;
/** A fresh XDG_CACHE_HOME inside its own directory (so that a file written beside it shows). */
function freshCacheHome(): { home: string; dir: string; box: string } {
  const box = join(root, `case-${cases++}`);
  const home = join(box, 'cache');
  mkdirSync(home, { recursive: true });
  return { home, dir: join(home, 'qmpsh'), box };
}

/** Every file and directory below `dir`, relative to it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

type Entry = Record<string, unknown>;
const BUILTINS: Entry[] = [
  { name: 'str', 'meta-type': 'builtin', 'json-type': 'string' },
  { name: 'int', 'meta-type': 'builtin', 'json-type': 'int' },
];
const EMPTY: Entry = { name: '0', 'meta-type': 'object', members: [] };
const command = (name: string, argType = '0'): Entry => ({ name, 'meta-type': 'command', 'arg-type': argType, 'ret-type': '0' });

interface PeerOptions {
  greeting: object;
  schema: Entry[];
}

/** A scripted peer that greets as told, answers query-qmp-schema with `schema` and every command with {}. */
async function peer(options: PeerOptions): Promise<FakeServer> {
  const server = await fakeServer(
    async (c: FakeConnection) => {
      c.send(options.greeting);
      for (;;) {
        const req = await c.nextRequest();
        c.reply(req, {});
      }
    },
    { schema: options.schema },
  );
  servers.push(server);
  return server;
}

const greeting = (qemu: Record<string, unknown>, pkg: unknown = 'fake') => ({
  QMP: { version: { qemu, package: pkg }, capabilities: [] },
});

describe('paths from the wire', () => {
  const SCHEMA = [...BUILTINS, EMPTY, command('query-status')];

  it.each([
    ['a path in micro', { major: 7, minor: 2, micro: '0/../../../escape' }],
    ['a path in major', { major: '../../escape', minor: 2, micro: 0 }],
    ['a negative number', { major: 7, minor: -2, micro: 0 }],
    ['a fraction', { major: 7, minor: 2.5, micro: 0 }],
    ['a number past 2^53', { major: 7, minor: 2, micro: 1e300 }],
    ['a numeric string', { major: 7, minor: 2, micro: '22' }],
  ])('%s: nothing is cached, nothing is written outside the cache', async (_name, version) => {
    const { home, box } = freshCacheHome();
    const server = await peer({ greeting: greeting(version), schema: SCHEMA });
    const r = await runCli([server.path, 'query-status'], { env: { XDG_CACHE_HOME: home } });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{}\n');
    // Only the compile cache: no schema file anywhere, in the cache or beside it.
    expect(tree(box).filter((f) => !/^cache(\/qmpsh(\/cli-[^/]+\.v8)?)?$/.test(f))).toEqual([]);
  });

  it('hashes a package string (never part of a name)', async () => {
    const { home, dir, box } = freshCacheHome();
    const server = await peer({ greeting: greeting({ major: 7, minor: 2, micro: 0 }, '/../../../escape'), schema: SCHEMA });
    const r = await runCli([server.path, 'query-status'], { env: { XDG_CACHE_HOME: home } });
    expect(r.code).toBe(0);
    expect(tree(box).filter((f) => !f.startsWith('cache/qmpsh/'))).toEqual(['cache', 'cache/qmpsh']);
    expect(readdirSync(dir).filter((f) => f.startsWith('schema-')).every((f) => /^schema-7\.2\.0-[0-9a-f]{8}(\.commands\.json|\.json|\.d)$/.test(f))).toBe(true);
  });

  it('command names that could be paths get hashed file names, and their slices are used', async () => {
    const { home, dir, box } = freshCacheHome();
    const args: Entry = { name: 'A', 'meta-type': 'object', members: [{ name: 's', type: 'str' }] };
    const odd = ['../../../escape', 'x/y', '..', '.', '.hidden', `a${'b'.repeat(300)}`];
    const server = await peer({
      greeting: greeting({ major: 7, minor: 2, micro: 0 }),
      schema: [...BUILTINS, EMPTY, args, command('query-status'), ...odd.map((n) => command(n, 'A'))],
    });
    const env = { XDG_CACHE_HOME: home };
    expect((await runCli([server.path, 'query-status'], { env })).code).toBe(0);
    expect(tree(box).filter((f) => !f.startsWith('cache/qmpsh/'))).toEqual(['cache', 'cache/qmpsh']);
    const [slices] = readdirSync(dir).filter((f) => f.endsWith('.d'));
    const files = readdirSync(join(dir, slices as string));
    expect(files).toContain('query-status.json');
    // Names that are not plain QAPI names are hashed: one file each, none hidden, none a path.
    expect(files).toHaveLength(1 + odd.length);
    for (const f of files) expect(f).toMatch(/^(query-status|=[0-9a-f]{16})\.json$/);
    // With the whole schema gone, the hashed slices still type the arguments (s is a str): nothing fetched.
    rmSync(join(dir, (slices as string).replace(/\.d$/, '.json')));
    for (const name of odd) {
      const r = await runCli(['-v', server.path, JSON.stringify({ execute: name }), 's=123'], { env });
      expect(r.stderr).not.toMatch(/query-qmp-schema/);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`-> {"execute":${JSON.stringify(name)},"arguments":{"s":"123"}`);
    }
  });
});
