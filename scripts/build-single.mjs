// Builds the CLI as one executable that needs nothing installed (no Node,
// no node_modules): build/qmpsh-linux-x64, for hypervisor nodes, whose Node (if
// any) is older than our `engines` (Debian 12 and Proxmox VE 8 ship Node 18).
//
//   npm run build:single        (node scripts/build-single.mjs)
//
// In build/, not dist/: dist/ is what the npm package ships ("files"), and
// 112 MB of executable must never end up in its tarball.
//
// Two steps:
//   1. esbuild bundles src/cli/main.ts with everything it needs, commander
//      too (dist/cli.cjs leaves it in node_modules), into one CommonJS file,
//      build/qmpsh.cjs, that calls main().
//   2. `bun build --compile --bytecode` joins that file, compiled to Bun's
//      bytecode, to the Bun runtime from the npm package `bun` (a
//      devDependency; its platform binary comes from the npm registry as an
//      optional dependency).
//
// Why Bun and not Node's single executable application (SEA: node
// --experimental-sea-config + postject into a copy of Node 20), measured here
// on the same machine, `query-status` against QEMU -M none, medians of 20
// interleaved runs: node bin/qmpsh.cjs 123 ms; SEA 125 ms (133 ms without
// its code cache); Bun 55 ms, Bun with --bytecode 21 ms. Sizes: SEA 99 MB,
// Bun 109 MB. Both ran the one-shot, the REPL and --launch.
//
// The file runs on x86-64 Linux with glibc >= 2.17 (objdump -T: the newest
// symbol version it needs) and a CPU with AVX2 (servers since 2013).
// QMPSH_BUN_TARGET=bun-linux-x64-baseline builds one for older CPUs (Bun then
// fetches that runtime from the npm registry; tried here: 112 MB, runs).
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const bundle = `${root}build/qmpsh.cjs`;
const out = process.env.QMPSH_SINGLE_OUT ?? `${root}build/qmpsh-linux-x64`;
mkdirSync(`${root}build`, { recursive: true });

await build({
  stdin: {
    contents: "import { main } from './src/cli/main.ts';\nmain();\n",
    resolveDir: root,
    sourcefile: 'single-entry.ts',
    loader: 'ts',
  },
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  // As dist/cli.cjs: the bundled packages carry no @license comments today.
  legalComments: 'eof',
  define: { QMPSH_VERSION: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});

// The npm package's postinstall puts the runtime in bun/bin/bun.exe (a
// placeholder until then); without install scripts it is still where the
// optional dependency unpacked it.
const bun = [`${root}node_modules/bun/bin/bun.exe`, `${root}node_modules/@oven/bun-linux-x64/bin/bun`].find(
  (file) => spawnSync(file, ['--version'], { stdio: 'ignore' }).status === 0,
);
if (!bun) {
  console.error('build-single: no Bun runtime in node_modules (bun/bin/bun.exe): run `npm ci`, or `npm rebuild bun` if install scripts were off');
  process.exit(1);
}
const target = process.env.QMPSH_BUN_TARGET ? [`--target=${process.env.QMPSH_BUN_TARGET}`] : [];
execFileSync(bun, ['build', '--compile', '--bytecode', '--format=cjs', ...target, bundle, '--outfile', out], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const mb = (statSync(out).size / 1e6).toFixed(0);
console.log(`built ${out.startsWith(root) ? out.slice(root.length) : out} (${mb} MB, Bun ${execFileSync(bun, ['--version'], { encoding: 'utf8' }).trim()})`);
