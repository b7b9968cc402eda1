// Bundles the CLI into dist/cli.js (one file: fast start-up, no module
// resolution at run time) and compiles the library with tsc into dist/lib.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist',
  entryNames: 'cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  sourcemap: 'linked',
  define: { QMPSH_VERSION: JSON.stringify(pkg.version) },
  // commander is CommonJS: give the ESM bundle a require() for its node: imports.
  banner: { js: "import { createRequire as __qmpshRequire } from 'node:module'; const require = __qmpshRequire(import.meta.url);" },
  logLevel: 'warning',
});

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
