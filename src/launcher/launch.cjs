// Loads dist/cli.cjs with a V8 code cache, then runs main().
//
// Compiling the bundle is a measurable part of a one-shot's start-up (see
// bench/), and Node 20 has no module compile cache of its own. The first run
// stores V8's cached data, taken at exit so it holds every function that run
// compiled, in $XDG_CACHE_HOME/qmpsh (or ~/.cache/qmpsh), keyed by Node's
// version and the bundle's size and mtime. Any problem with the cache just
// means a normal compile, and a new cache written at exit.
// QMPSH_NO_COMPILE_CACHE=1 turns it off.
//
// V8 checks that cached data belongs to this source and this V8, but not that
// its bytes are intact (release builds skip its checksum): a cache file with a
// few bytes flipped crashes the process inside V8, on every run. So the file
// carries our own checksum, checked before V8 sees a byte:
//
//   "QMPSHV8\0" | checksum, 8 bytes LE | V8's cached data
//
// The checksum must cost well under what the cache saves (~5 ms of a ~80 ms
// one-shot, see bench/). node:crypto takes ~6 ms to load, node:zlib (crc32)
// ~3 ms, and a hash in plain JS ~3 ms while V8 still interprets it; a few
// lines of WebAssembly hash 90 KB in ~0.5 ms, compile included. The hash
// (WAT below) xors each 8-byte word into a 64-bit state, rotates and
// multiplies by an odd constant: each step is a bijection of the state, so
// any change within one word always changes the result, and others with
// probability 1 - 2^-64; it guards against damage, not against someone who
// may write the user's cache (they can write ~/.bashrc as well).
//
//   (func (export "h") (param $len i32) (result i64) (local $i i32) (local $h i64)
//     (local.set $h (i64.const 0xcbf29ce484222325))
//     (block (loop
//       (br_if 1 (i32.ge_u (local.get $i) (local.get $len)))
//       (local.set $h (i64.mul (i64.rotl (i64.xor (local.get $h) (i64.load (local.get $i))) (i64.const 27))
//                              (i64.const 0x9e3779b97f4a7c15)))
//       (local.set $i (i32.add (local.get $i) (i32.const 8)))
//       (br 0)))
//     (i64.mul (i64.xor (local.get $h) (i64.extend_i32_u (local.get $len))) (i64.const 0x9e3779b97f4a7c15)))
//   (memory (export "m") 0)
//
// The bytes past $len in the last word are zero (fresh memory).
// test/hardening/compile-cache.test.ts checks this module against the same hash in
// BigInt arithmetic.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const file = path.join(__dirname, 'cli.cjs');
const MAGIC = Buffer.from('QMPSHV8\0', 'latin1');
const HEADER = MAGIC.length + 8;
const CHECKSUM_WASM =
  'AGFzbQEAAAABBgFgAX8BfgMCAQAFAwEAAAcJAgFoAAABbQIAClUBUwIBfwF+QqXGiKHInKf5SyECAkADQCABIABPDQEgAiABKQMAhUIbiUKV' +
  '+Kn6l7fem55/fiECIAFBCGohAQwACwsgAiAArYVClfip+pe33puef34L';

/** The 64-bit checksum of `data` (see above). */
function checksum(data) {
  const { h, m } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(CHECKSUM_WASM, 'base64'))).exports;
  m.grow(Math.ceil((data.length + 8) / 65536));
  new Uint8Array(m.buffer).set(data);
  return BigInt.asUintN(64, h(data.length));
}

/** V8's cached data from a cache file, or undefined unless it is intact. */
function unwrap(stored) {
  if (stored.length < HEADER || !stored.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const data = stored.subarray(HEADER);
  return stored.readBigUInt64LE(MAGIC.length) === checksum(data) ? data : undefined;
}

function wrap(data) {
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header);
  header.writeBigUInt64LE(checksum(data), MAGIC.length);
  return Buffer.concat([header, data]);
}

function cacheFile(stat) {
  const base =
    process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME)
      ? process.env.XDG_CACHE_HOME
      : path.join(require('node:os').homedir(), '.cache');
  const key = `${process.version}-${process.arch}-${stat.size}-${Math.trunc(stat.mtimeMs)}`;
  return path.join(base, 'qmpsh', `cli-${key}.v8`);
}

function load() {
  if (process.env.QMPSH_NO_COMPILE_CACHE === '1') return require(file);
  const source = fs.readFileSync(file, 'utf8');
  let cache;
  let cachedData;
  try {
    cache = cacheFile(fs.statSync(file));
    cachedData = unwrap(fs.readFileSync(cache));
  } catch {
    // no cache yet (or no WebAssembly: then no cache)
  }
  // The CommonJS wrapper, by hand: the bundle requires only node: built-ins,
  // so this file's own require serves it (and node:module need not load).
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, require, mod, file, __dirname);
  if (cache && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', () => {
      try {
        fs.mkdirSync(path.dirname(cache), { recursive: true, mode: 0o700 });
        const tmp = `${cache}.${process.pid}`;
        fs.writeFileSync(tmp, wrap(script.createCachedData()), { mode: 0o600 });
        fs.renameSync(tmp, cache);
        // Caches of other builds or Node versions are dead weight now.
        for (const name of fs.readdirSync(path.dirname(cache))) {
          if (/^cli-.*\.v8$/.test(name) && name !== path.basename(cache)) {
            fs.rmSync(path.join(path.dirname(cache), name), { force: true });
          }
        }
      } catch {
        // a read-only home: compile normally next time too
      }
    });
  }
  return mod.exports;
}

load().main();
