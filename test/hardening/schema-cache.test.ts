/**
 * The schema cache holds what peers said: it is never a path, never trusted
 * unchecked, and never the only reason to refuse a command.
 *
 * - No file name is built from peer data: version fields that are not
 *   non-negative safe integers mean no cache at all for that session, and a
 *   command name that could be a path is hashed.
 * - A peer that claims a real QEMU's version and package can write a bad
 *   schema into the cache (a poisoned cache, or a QEMU upgraded in place under
 *   the same version string): a refusal (unknown command, unknown argument,
 *   bad value) is checked once against the live schema, and the cache is
 *   rewritten from it.
 * - A malformed cached file is ignored, and the cache is fetched anew.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeServer, type FakeConnection, type FakeServer } from '../helpers/fake-server.js';
import { startQemu, type Qemu } from '../helpers/qemu.js';
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
  /** query-target's reply (else {}, as to every other command): a liar that copies a real QEMU's. */
  target?: unknown;
}

/** A scripted peer that greets as told, answers query-qmp-schema with `schema` and every command with {}. */
async function peer(options: PeerOptions): Promise<FakeServer> {
  const server = await fakeServer(
    async (c: FakeConnection) => {
      c.send(options.greeting);
      for (;;) {
        const req = await c.nextRequest();
        c.reply(req, req.execute === 'query-target' && options.target ? options.target : {});
      }
    },
    { schema: options.schema, identity: options.target !== undefined },
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
  ])('%s: a protocol violation (exit 4), nothing written anywhere', async (_name, version) => {
    const { home, box } = freshCacheHome();
    const server = await peer({ greeting: greeting(version), schema: SCHEMA });
    const r = await runCli([server.path, 'query-status'], { env: { XDG_CACHE_HOME: home } });
    expect(r.stderr).not.toMatch(/internal error/);
    // Version fields are integers (qmp-spec's greeting): anything else ends the session.
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^qmpsh: [^\n]*greeting[^\n]*\n$/);
    // Only the compile cache: no schema file anywhere, in the cache or beside it.
    expect(tree(box).filter((f) => !/^cache(\/qmpsh(\/cli-[^/]+\.v8)?)?$/.test(f))).toEqual([]);
  });

  it('hashes a package string (never part of a name)', async () => {
    const { home, dir, box } = freshCacheHome();
    const server = await peer({ greeting: greeting({ major: 7, minor: 2, micro: 0 }, '/../../../escape'), schema: SCHEMA });
    const r = await runCli([server.path, 'query-status'], { env: { XDG_CACHE_HOME: home } });
    expect(r.code).toBe(0);
    expect(tree(box).filter((f) => !f.startsWith('cache/qmpsh/'))).toEqual(['cache', 'cache/qmpsh']);
    expect(readdirSync(dir).filter((f) => f.startsWith('schema-')).every((f) => /^schema-7\.2\.0-[0-9a-f]{8}-none(\.commands\.json|\.json|\.d)$/.test(f))).toBe(true);
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
      expect(r.stderr).not.toMatch(/^-> \{"execute":"query-qmp-schema"/m);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`-> {"execute":${JSON.stringify(name)},"arguments":{"s":"123"}`);
    }
  });
});

/** The real QEMU's greeting, as read from its monitor. */
function greetingOf(sock: string): Promise<{ QMP: { version: { qemu: object; package: string } } }> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path: sock });
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        s.destroy();
        resolve(JSON.parse(buf.slice(0, nl)));
      }
    });
    s.on('error', reject);
  });
}

describe('a poisoned or stale schema cache (a real QEMU)', () => {
  let qemu: Qemu;
  let real: { QMP: { version: { qemu: object; package: string } } };
  let realTarget: unknown;
  beforeAll(async () => {
    qemu = await startQemu();
    real = await greetingOf(qemu.sock);
    realTarget = JSON.parse((await runCli([qemu.sock, 'query-target'])).stdout);
  });
  afterAll(async () => qemu?.stop());

  /** A cache poisoned by a peer that claims the real QEMU's version and package. */
  async function poisoned(schema: Entry[]): Promise<{ env: NodeJS.ProcessEnv; dir: string }> {
    const { home, dir } = freshCacheHome();
    const env = { XDG_CACHE_HOME: home };
    // It copies everything a client can ask of the QEMU's identity: greeting, target.
    const liar = await peer({ greeting: { QMP: { ...real.QMP, capabilities: [] } }, schema, target: realTarget });
    // Nothing cached yet: the whole schema (and every slice) is fetched and cached.
    const r = await runCli([liar.path, 'query-version'], { env });
    expect(r.code).toBe(0);
    const index = readdirSync(dir).find((f) => f.endsWith('.commands.json')) as string;
    // Its two commands (and the empty argument type they share).
    const entries = JSON.parse(readFileSync(join(dir, index), 'utf8')) as Entry[];
    expect(entries.filter((e) => e['meta-type'] === 'command')).toHaveLength(2);
    return { env, dir };
  }
  const commandsIn = (dir: string) => {
    const index = readdirSync(dir).find((f) => f.endsWith('.commands.json')) as string;
    return (JSON.parse(readFileSync(join(dir, index), 'utf8')) as unknown[]).length;
  };
  const schemaFetches = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('-> {"execute":"query-qmp-schema"')).length;

  const TWO_COMMANDS: Entry[] = [
    ...BUILTINS,
    EMPTY,
    { name: 'A', 'meta-type': 'object', members: [{ name: 'node-name', type: 'str' }] },
    command('query-version'),
    command('blockdev-del', 'A'),
  ];

  it('an unknown command by the cache: checked live, run, and the cache rewritten', async () => {
    const { env, dir } = await poisoned(TWO_COMMANDS);
    const r = await runCli(['-v', qemu.sock, 'query-status'], { env });
    expect(r.stderr).not.toMatch(/unknown command/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running' });
    expect(schemaFetches(r.stderr)).toBe(1);
    expect(commandsIn(dir)).toBeGreaterThan(100);
    // Warm and right now: no fetch.
    const again = await runCli(['-v', qemu.sock, 'query-status'], { env });
    expect(again.code).toBe(0);
    expect(schemaFetches(again.stderr)).toBe(0);
  });

  it('a command with arguments the cache does not know: typed by the live schema', async () => {
    const { env } = await poisoned(TWO_COMMANDS);
    const r = await runCli(['-v', qemu.sock, 'blockdev-add', 'driver=null-co', 'node-name=p0', 'size=1048576', 'read-zeroes=on'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/"arguments":\{"driver":"null-co","node-name":"p0","size":1048576,"read-zeroes":true\}/);
    expect((await runCli([qemu.sock, 'blockdev-del', 'node-name=p0'], { env })).code).toBe(0);
  });

  it('an argument the cache does not know: QEMU answers, not the cache', async () => {
    const { env } = await poisoned([
      ...BUILTINS,
      EMPTY,
      { name: 'A', 'meta-type': 'object', members: [{ name: 'other', type: 'str' }] },
      command('query-version'),
      command('blockdev-del', 'A'),
    ]);
    const r = await runCli([qemu.sock, 'blockdev-del', 'node-name=nowhere'], { env });
    expect(r.stderr).not.toMatch(/unknown argument/);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^qmpsh: GenericError: .*nowhere/);
  });

  it('an enum value and a type the cache refuses: checked live', async () => {
    const { env } = await poisoned([
      ...BUILTINS,
      EMPTY,
      { name: 'E', 'meta-type': 'enum', values: ['raw'] },
      { name: 'A', 'meta-type': 'object', members: [{ name: 'driver', type: 'E' }, { name: 'node-name', type: 'int' }, { name: 'size', type: 'int' }] },
      command('query-version'),
      command('blockdev-add', 'A'),
    ]);
    const r = await runCli([qemu.sock, 'blockdev-add', 'driver=null-co', 'node-name=p1', 'size=1048576'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await runCli([qemu.sock, 'blockdev-del', 'node-name=p1'], { env })).code).toBe(0);
  });

  it('--describe of a command the cache does not know', async () => {
    const { env } = await poisoned(TWO_COMMANDS);
    const r = await runCli([qemu.sock, '--describe', 'query-status'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^query-status {2}\(command\)/);
  });

  it('what the live schema also refuses is refused, after one live check, with the live count', async () => {
    const { env } = await poisoned(TWO_COMMANDS);
    const r = await runCli(['-v', qemu.sock, 'query-stauts'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^qmpsh: unknown command 'query-stauts': did you mean .*query-status.* \(this QEMU has \d{3,}\)/m);
    expect(schemaFetches(r.stderr)).toBe(1);
    expect(r.stderr).not.toMatch(/-> \{"execute":"query-stauts"/);
  });

  it('a warm, right cache refuses after a single live check, however many lines a script has', async () => {
    const { home } = freshCacheHome();
    const env = { XDG_CACHE_HOME: home };
    expect((await runCli([qemu.sock, 'blockdev-del', 'node-name=warm'], { env })).code).toBe(1); // warms it
    const r = await runCli(['-v', '--keep-going', qemu.sock], { env, input: 'query-stauts\nblockdev-del nod=1\nquery-status\nblockdev-add driver=nul-co\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^qmpsh: line 1: unknown command 'query-stauts'/m);
    expect(r.stderr).toMatch(/^qmpsh: line 2: blockdev-del: unknown argument 'nod'/m);
    expect(r.stderr).toMatch(/^qmpsh: line 4: blockdev-add: 'driver' must be one of/m);
    expect(schemaFetches(r.stderr)).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running' });
  });

  describe('malformed cached files are ignored and fetched anew (never exit 70)', () => {
    const MALFORMED: Array<[string, 'slice' | 'index' | 'full', string]> = [
      ['a slice with "members": 5', 'slice', JSON.stringify([{ name: 'blockdev-add', 'meta-type': 'command', 'arg-type': 'A' }, { name: 'A', 'meta-type': 'object', members: 5 }])],
      ['a slice without its command', 'slice', JSON.stringify([{ name: 'A', 'meta-type': 'object', members: [] }])],
      ['a slice missing the types it names', 'slice', JSON.stringify([{ name: 'blockdev-add', 'meta-type': 'command', 'arg-type': 'A' }])],
      ['a slice with a member of no type', 'slice', JSON.stringify([{ name: 'blockdev-add', 'meta-type': 'command', 'arg-type': 'A' }, { name: 'A', 'meta-type': 'object', members: [{ name: 'driver' }] }])],
      ['an enum with values: "x"', 'slice', JSON.stringify([{ name: 'blockdev-add', 'meta-type': 'command', 'arg-type': 'A' }, { name: 'A', 'meta-type': 'object', members: [{ name: 'driver', type: 'E' }] }, { name: 'E', 'meta-type': 'enum', values: 'x' }])],
      ['an index with features: 5', 'index', JSON.stringify([{ name: 'blockdev-add', 'meta-type': 'command', 'arg-type': 'A', features: 5 }])],
      ['an index that is an object', 'index', '{"name": "x"}'],
      ['a whole schema that is not JSON', 'full', '[{"name": "x", '],
      ['a whole schema with variants: {}', 'full', JSON.stringify([{ name: 'blockdev-add', 'meta-type': 'command', 'arg-type': 'A' }, { name: 'A', 'meta-type': 'object', members: [], tag: 'driver', variants: {} }])],
    ];

    it.each(MALFORMED)('%s', async (_name, part, text) => {
      const { home, dir } = freshCacheHome();
      const env = { XDG_CACHE_HOME: home };
      expect((await runCli([qemu.sock, 'blockdev-del', 'node-name=warm'], { env })).code).toBe(1); // warms it
      const key = (readdirSync(dir).find((f) => f.endsWith('.commands.json')) as string).replace(/\.commands\.json$/, '');
      const file = { slice: join(dir, `${key}.d`, 'blockdev-add.json'), index: join(dir, `${key}.commands.json`), full: join(dir, `${key}.json`) }[part];
      writeFileSync(file, text);
      if (part === 'full') rmSync(join(dir, `${key}.d`, 'blockdev-add.json')); // so that the whole schema is read
      const r = await runCli(['-v', qemu.sock, 'blockdev-add', 'driver=null-co', 'node-name=m0', 'size=1048576'], { env });
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.code).toBe(0);
      expect(schemaFetches(r.stderr)).toBe(1);
      expect((await runCli([qemu.sock, 'blockdev-del', 'node-name=m0'], { env })).code).toBe(0);
      // Rewritten: valid again, and used without a fetch.
      expect(readFileSync(file, 'utf8')).not.toBe(text);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const warm = await runCli(['-v', qemu.sock, 'blockdev-add', 'driver=null-co', 'node-name=m1', 'size=1048576'], { env });
      expect(warm.code).toBe(0);
      expect(schemaFetches(warm.stderr)).toBe(0);
      expect((await runCli([qemu.sock, 'blockdev-del', 'node-name=m1'], { env })).code).toBe(0);
    });
  });
});
