/**
 * The V8 code cache (dist/launch.cjs) is checked before V8 sees it: V8 does
 * not verify its own checksum in release builds, and a cache file with bytes
 * flipped in the middle crashed every run (SIGSEGV/SIGTRAP inside V8's
 * deserializer) without ever being replaced.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeServer, type FakeServer } from '../helpers/fake-server.js';
import { runs } from '../helpers/fuzz.js';
import { runCli } from '../helpers/run-cli.js';

const LAUNCHER = fileURLToPath(new URL('../../dist/launch.cjs', import.meta.url));
const MAGIC = Buffer.from('QMPSHV8\0', 'latin1');
const HEADER = MAGIC.length + 8;

/** The launcher's checksum, in BigInt arithmetic: each 8-byte word (LE, zero-padded) xored in, rotated by 27, times an odd constant. */
function reference(data: Buffer): bigint {
  const P = 0x9e3779b97f4a7c15n;
  const M = (1n << 64n) - 1n;
  const padded = Buffer.alloc(Math.ceil(data.length / 8) * 8);
  data.copy(padded);
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < padded.length; i += 8) {
    h ^= padded.readBigUInt64LE(i);
    h = ((h << 27n) | (h >> 37n)) & M;
    h = (h * P) & M;
  }
  return ((h ^ BigInt(data.length)) * P) & M;
}

/** What this test needs of WebAssembly (the project's TypeScript libs do not declare it). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { h: (len: number) => bigint; m: { grow(pages: number): void; buffer: ArrayBuffer } } };
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: Wasm };

/** The WebAssembly checksum exactly as the launcher ships it. */
function shippedChecksum(): (data: Buffer) => bigint {
  const source = readFileSync(LAUNCHER, 'utf8');
  const m = /const CHECKSUM_WASM =\s*((?:'[^']*'\s*\+?\s*)+);/.exec(source);
  if (!m) throw new Error('CHECKSUM_WASM not found in dist/launch.cjs');
  const base64 = [...(m[1] as string).matchAll(/'([^']*)'/g)].map((x) => x[1]).join('');
  return (data) => {
    const { h, m: memory } = new wasm.Instance(new wasm.Module(Buffer.from(base64, 'base64'))).exports;
    memory.grow(Math.ceil((data.length + 8) / 65536));
    new Uint8Array(memory.buffer).set(data);
    return BigInt.asUintN(64, h(data.length));
  };
}

/** A cache file as it should be: the magic, the checksum of the rest, and V8's data. */
function intact(file: string): boolean {
  const stored = readFileSync(file);
  if (stored.length < HEADER + 1000 || !stored.subarray(0, MAGIC.length).equals(MAGIC)) return false;
  return stored.readBigUInt64LE(MAGIC.length) === reference(stored.subarray(HEADER));
}

describe('the checksum', () => {
  it('the shipped WebAssembly computes the documented hash (any bytes, any length)', () => {
    const checksum = shippedChecksum();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const data = Buffer.from(bytes);
        expect(checksum(data)).toBe(reference(data));
      }),
      { numRuns: runs(300) },
    );
    const big = randomBytes(200_001);
    expect(checksum(big)).toBe(reference(big));
  });

  it('changes with any one byte changed', () => {
    const checksum = shippedChecksum();
    const data = randomBytes(4096);
    const sum = checksum(data);
    fc.assert(
      fc.property(fc.nat({ max: data.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const copy = Buffer.from(data);
        copy[at] = (copy[at] as number) ^ flip;
        expect(checksum(copy)).not.toBe(sum);
      }),
      { numRuns: runs(500) },
    );
  });
});

describe('a damaged compile cache', () => {
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
    ['the checksum flipped', (b) => {
      const c = Buffer.from(b);
      c[MAGIC.length] = (c[MAGIC.length] as number) ^ 0x80;
      return c;
    }],
    ["V8's data without our header (an older qmpsh's file), flipped in the middle", (b) => {
      const c = Buffer.from(b.subarray(HEADER));
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
    expect(intact(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // And used from then on: the next run leaves it as it is.
    const replaced = readFileSync(file);
    expectWorks(await run());
    expect(readFileSync(file).equals(replaced)).toBe(true);
  });
});
