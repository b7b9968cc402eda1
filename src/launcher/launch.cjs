// Loads dist/cli.cjs with a V8 code cache, then runs main().
//
// Compiling the bundle is a measurable part of a one-shot's start-up (see
// bench/), and Node 20 has no module compile cache of its own. The first run
// stores V8's cached data, taken at exit so it holds every function that run
// compiled, in $XDG_CACHE_HOME/qmpsh (or ~/.cache/qmpsh), keyed by Node's
// version and the bundle's size and mtime. V8 rejects data that does not
// match the source, this V8 or its flags, or is damaged (below), and then the
// next run writes it anew. Any problem with the cache just means a normal
// compile. QMPSH_NO_COMPILE_CACHE=1 turns it off.
//
// Damage: V8 checks the cache's magic number, versions, source hash, flags
// and length, but release builds skip the checksum of its payload unless
// --verify-snapshot-checksum is set, and a file with a few bytes flipped in
// the middle crashed every run inside V8's deserializer, or was accepted
// as it was. So that flag is on while V8 reads our cache and while it writes
// one (it then stores an Adler-32 of the payload and checks it), and off
// otherwise: left on, it also checksums the code cache of every Node built-in
// module loaded after it (~9 ms of CPU per one-shot). Measured here against
// other checks: this one costs ~1 ms of CPU and no memory; a checksum of our
// own in WebAssembly as little time but ~4 MB of peak memory (V8 tiers its
// loop up), sha256 from node:crypto ~3.5 ms, plain JS ~5 ms; the code cache
// itself saves ~8-18 ms. node:v8 mostly loads the streams that node:net
// loads anyway.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const v8 = require('node:v8');

const file = path.join(__dirname, 'cli.cjs');

/** `work()` with V8 checksumming code caches it reads and writes. */
function checksummed(work) {
  v8.setFlagsFromString('--verify-snapshot-checksum');
  try {
    return work();
  } finally {
    v8.setFlagsFromString('--no-verify-snapshot-checksum');
  }
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
    cachedData = fs.readFileSync(cache);
  } catch {
    // no cache yet
  }
  // The CommonJS wrapper, by hand: the bundle requires only node: built-ins,
  // so this file's own require serves it (and node:module need not load).
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = checksummed(() => new vm.Script(wrapped, { filename: file, cachedData }));
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, require, mod, file, __dirname);
  if (cache && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', () => {
      try {
        fs.mkdirSync(path.dirname(cache), { recursive: true, mode: 0o700 });
        const tmp = `${cache}.${process.pid}`;
        fs.writeFileSync(tmp, checksummed(() => script.createCachedData()), { mode: 0o600 });
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
