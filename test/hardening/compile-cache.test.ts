/**
 * The V8 code cache (dist/launch.cjs) is checksummed: V8 skips the checksum of
 * cached data in release builds unless told, and a cache file with bytes
 * flipped in the middle crashed every run (SIGSEGV/SIGTRAP inside V8's
 * deserializer), or was taken as it was, and was never replaced.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeServer, type FakeServer } from '../helpers/fake-server.js';
import { runCli, SINGLE_FILE } from '../helpers/run-cli.js';

/**
 * V8's cached data for dist/cli.cjs made as an older qmpsh made it: without
 * --verify-snapshot-checksum, so with no checksum of its payload.
 */
function uncheckedCache(): Buffer {
  const cli = fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url));
  const script = `
    const fs = require('node:fs'), vm = require('node:vm');
    const file = ${JSON.stringify(cli)};
    const wrapped = '(function (exports, require, module, __filename, __dirname) { ' + fs.readFileSync(file, 'utf8') + '\\n});';
    const s = new vm.Script(wrapped, { filename: file });
    s.runInThisContext();
    process.stdout.write(s.createCachedData().toString('base64'));`;
  return Buffer.from(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }), 'base64');
}

// The single file has no dist/launch.cjs and no V8 code cache (Bun runs its own bytecode).
describe.skipIf(SINGLE_FILE)('a damaged compile cache (npm package only: skipped for the single file)', () => {
  let root: string;
  let server: FakeServer;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'qmpsh-v8-cache-'));
    server = await fakeServer(async (c) => {
      await c.negotiate();
      for (;;) {
        const req = await c.nextRequest();
        c.reply(req, { status: 'running', running: true });
      }
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });
  let n = 0;
  let home: string;
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const run = () => runCli([server.path, 'query-status'], { env: { XDG_CACHE_HOME: home } });
  const expectWorks = (r: Awaited<ReturnType<typeof run>>) => {
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"status":"running","running":true}\n');
  };

  const CORRUPTIONS: Array<[string, (b: Buffer) => Buffer]> = [
    ['64 bytes flipped in the middle', (b) => {
      const c = Buffer.from(b);
      for (let i = 0; i < 64; i++) c[(c.length >> 1) + i] = (c[(c.length >> 1) + i] as number) ^ 0xff;
      return c;
    }],
    ['one byte flipped in the middle', (b) => {
      const c = Buffer.from(b);
      c[c.length >> 1] = (c[c.length >> 1] as number) ^ 0x01;
      return c;
    }],
    ['truncated to half', (b) => b.subarray(0, b.length >> 1)],
    ['truncated to 10 bytes', (b) => b.subarray(0, 10)],
    ['empty', () => Buffer.alloc(0)],
    ['random bytes of the same length', (b) => randomBytes(b.length)],
    ['one byte flipped near the end', (b) => {
      const c = Buffer.from(b);
      c[c.length - 3] = (c[c.length - 3] as number) ^ 0x10;
      return c;
    }],
    ["an older qmpsh's file (no checksum), flipped in the middle", () => {
      const c = uncheckedCache();
      for (let i = 0; i < 64; i++) c[(c.length >> 1) + i] = (c[(c.length >> 1) + i] as number) ^ 0xff;
      return c;
    }],
  ];

  it.each(CORRUPTIONS)('%s: the CLI still works, and the file is replaced by an intact one', async (_name, corrupt) => {
    home = join(root, `home-${n++}`);
    expectWorks(await run());
    const dir = join(home, 'qmpsh');
    const [name] = readdirSync(dir).filter((f) => /^cli-.*\.v8$/.test(f));
    const file = join(dir, name as string);
    const good = readFileSync(file);

    const bad = corrupt(good);
    writeFileSync(file, bad);
    expectWorks(await run());
    expect(readdirSync(dir).filter((f) => /^cli-.*\.v8$/.test(f))).toEqual([name]);
    expect(readFileSync(file).equals(bad)).toBe(false);
    expect(statSync(file).size).toBeGreaterThan(1000);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // And V8 takes it from then on (what it rejects is written anew): the next run leaves it as it is.
    const replaced = readFileSync(file);
    expectWorks(await run());
    expect(readFileSync(file).equals(replaced)).toBe(true);
  });
});
