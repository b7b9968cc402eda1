/**
 * The package as npm delivers it: `npm pack`, installed into a temporary
 * prefix, then used as a user would. A TypeScript consumer (ESM, `tsc
 * --strict`) compiled against the installed types and run; `require('qmpsh')`
 * from CommonJS; the installed bin's one-shot against a real QEMU, --help and
 * the bash completion script. Needs `npm run build` first (as every CLI test).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

let work: string;
let prefix: string;
let tarball: string;
let packed: Array<{ path: string; size: number }>;
let qemu: Qemu;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'qmpsh-pack-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: NPM_ENV, encoding: 'utf8' });
  const info = (JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string; size: number }> }>)[0]!;
  tarball = join(work, info.filename);
  packed = info.files;
  prefix = join(work, 'consumer');
  mkdirSync(prefix);
  writeFileSync(join(prefix, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // commander (the one run-time dependency) comes from npm's cache when it can.
  execFileSync('npm', ['install', '--prefer-offline', '--no-package-lock', tarball], { cwd: prefix, env: NPM_ENV, stdio: 'pipe' });
  qemu = await startQemu();
}, 180_000);

afterAll(async () => {
  await qemu?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships the builds, LICENSE and the notices of bundled code; no source maps, no sources', () => {
    const paths = packed.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining([
      'LICENSE',
      'README.md',
      'package.json',
      'bin/qmpsh.cjs',
      'dist/cli.cjs',
      'dist/launch.cjs',
      'dist/THIRD-PARTY-NOTICES.md',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lib/testing/index.js',
    ]));
    expect(paths.filter((p) => p.endsWith('.map') || p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
    const installed = join(prefix, 'node_modules/qmpsh');
    for (const file of paths.filter((p) => p.endsWith('.js') || p.endsWith('.cjs'))) {
      expect(readFileSync(join(installed, file), 'utf8'), file).not.toMatch(/sourceMappingURL/);
    }
    const notices = readFileSync(join(installed, 'dist/THIRD-PARTY-NOTICES.md'), 'utf8');
    expect(notices).toMatch(/^## chalk@/m);
    expect(notices).toMatch(/^## ora@/m);
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/MIT License[\s\S]*qmpsh authors/);
  });

  it('installs only what runs: commander, not chalk or ora (they are bundled)', () => {
    const manifest = JSON.parse(readFileSync(join(prefix, 'node_modules/qmpsh/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies)).toEqual(['commander']);
    const top = spawnSync('ls', [join(prefix, 'node_modules')], { encoding: 'utf8' }).stdout.split('\n');
    expect(top).toContain('commander');
    expect(top).not.toContain('chalk');
    expect(top).not.toContain('ora');
  });
});

const CONSUMER = `
import { connect, typed, CommandError, InterruptedError, fetchSchema, typeArguments, describe, type EventMessage, type JsonValue } from 'qmpsh';
import { createQmpServer, QmpServerError } from 'qmpsh/testing';

await using server = await createQmpServer({
  commands: {
    'query-status': () => ({ status: 'running', running: true }),
    stop: (_args, ctx) => {
      ctx.event('STOP');
      return {};
    },
    eject: () => {
      throw new QmpServerError('DeviceNotFound', 'no such drive');
    },
  },
});
await using client = await connect(server.path);
const events = client.events({ names: ['ST*'], filter: (e: EventMessage) => e.data === undefined });
const status: JsonValue = await client.execute('query-status');
const running: boolean = (await typed(client).execute('query-status')).running;
await client.execute('stop');
const first = await events.next();
const failed = await client.execute('eject', { device: 'cd0' }).catch((e: unknown) => e);
const aborted = await client.execute('query-status', undefined, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
const bad = failed instanceof CommandError ? failed.reply?.error.class : 'no';
console.log(JSON.stringify([status, first.value?.event, bad, aborted instanceof InterruptedError && aborted.name, running]));
void fetchSchema;
void typeArguments;
void describe;
`;

describe('a consumer project', () => {
  it('compiles with tsc --strict (ESM, NodeNext) against the installed types and runs', () => {
    const dir = join(prefix, 'app');
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.ts'), CONSUMER);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'ESNext.Disposable'],
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
          outDir: 'out',
        },
        files: ['main.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const run = spawnSync(process.execPath, [join(dir, 'out/main.js')], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([{ status: 'running', running: true }, 'STOP', 'DeviceNotFound', 'AbortError', true]);
  }, 120_000); // tsc alone takes tens of seconds on a loaded 2-core machine

  it("require('qmpsh') works from CommonJS (Node >= 20.19 loads the ESM build: engines says so)", () => {
    const run = spawnSync(
      process.execPath,
      ['-e', "const q = require('qmpsh'); console.log(typeof q.connect, new q.InterruptedError().name, typeof require('qmpsh/testing').createQmpServer)"],
      { cwd: prefix, encoding: 'utf8' },
    );
    expect(run.stdout.trim()).toBe('function AbortError function');
    const manifest = JSON.parse(readFileSync(join(prefix, 'node_modules/qmpsh/package.json'), 'utf8')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe('>=20.19');
  });
});

describe('the installed bin', () => {
  const bin = () => join(prefix, 'node_modules/.bin/qmpsh');

  it('runs a one-shot against QEMU', () => {
    const r = spawnSync(bin(), [qemu.sock, 'query-status'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/running/);
  });

  it('prints --help', () => {
    const r = spawnSync(bin(), ['--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: qmpsh/m);
    expect(r.stdout).toMatch(/Exit codes:/);
  });

  it('prints a bash completion script that bash loads (complete -p qmpsh)', () => {
    const r = spawnSync(bin(), ['--completion', 'bash'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    const check = spawnSync('bash', ['-c', `${r.stdout}\ncomplete -p qmpsh`], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(prefix, 'node_modules/.bin')}:${process.env.PATH}` },
    });
    expect(check.stderr).toBe('');
    expect(check.stdout).toMatch(/^complete .*qmpsh$/m);
  });
});
