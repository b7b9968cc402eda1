// Builds what the package ships:
//   dist/cli.cjs   the CLI, one CommonJS file: no ESM loader, no module
//                  resolution at run time (measured: see bench/). Modules that
//                  only some modes need are initialised lazily (esbuild turns
//                  their dynamic imports into deferred requires).
//   dist/launch.cjs  what bin/qmpsh.cjs runs: dist/cli.cjs with a V8 code cache.
//   dist/lib/      the library, compiled by tsc, ESM with declarations.
//   dist/THIRD-PARTY-NOTICES.md  the licences of the code bundled into dist/cli.cjs.
// Source maps: none in the package. dist/cli.cjs.map is written for debugging
// here (not referenced from cli.cjs, not packed: package.json "files"); the
// library is plain tsc output, readable as it is.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { writeNotices } from './notices.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

/**
 * commander requires node:child_process at load time, for executable
 * subcommands, which qmpsh does not use; loading it (and dgram with it) costs
 * a few ms on every start. Defer it until something actually touches it.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('node_modules/commander') ? { path: 'lazy-child-process', namespace: 'lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents:
        "let cp; module.exports = new Proxy({}, { get: (_, key) => (cp ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

const cli = await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: process.env.QMPSH_NO_MINIFY !== "1",
  legalComments: 'linked',
  sourcemap: 'external',
  metafile: true,
  define: { QMPSH_VERSION: JSON.stringify(pkg.version) },
  plugins: [lazyChildProcess],
  // commander (CommonJS) is required from node_modules only when an option
  // is given: the common one-shot reads and deserializes a bundle a third
  // smaller. chalk and ora stay bundled: they are ESM-only, and import() in
  // code run through vm with a code cache is not reliable on Node 20.
  external: ['commander'],
  logLevel: 'warning',
});

writeNotices(cli.metafile, 'dist/THIRD-PARTY-NOTICES.md');

// The launcher loads dist/cli.cjs with a V8 code cache (see its comment).
copyFileSync('src/launcher/launch.cjs', 'dist/launch.cjs');

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
