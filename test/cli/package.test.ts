/** The package as a user installs it: the library entry and its boundaries. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SINGLE_FILE } from '../helpers/run-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

// The single file (QMPSH_TEST_BIN) has no library and no dist/: these test the npm package only.
describe.skipIf(SINGLE_FILE)('package (npm package only: skipped for the single file)', () => {
  it("is importable as 'qmpsh' (ESM) with the client, codec and errors", () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { QmpClient, parseJson, stringifyJson, MonitorBusyError } from 'qmpsh';" +
          "console.log(typeof QmpClient.connect, stringifyJson(parseJson('[18446744073709551615]')), new MonitorBusyError('x').code);",
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('function [18446744073709551615] QMP_MONITOR_BUSY');
  });

  it('keeps CLI dependencies out of the library build', () => {
    const lib = filesUnder(join(ROOT, 'dist/lib')).filter((f) => f.endsWith('.js'));
    expect(lib.length).toBeGreaterThan(5);
    for (const file of lib) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/from ['"](commander|chalk|ora|node:readline)['"]/);
    }
  });

  it('imports node:net only in the transport (and the test server of qmpsh/testing)', () => {
    const src = filesUnder(join(ROOT, 'src')).filter((f) => f.endsWith('.ts'));
    const importers = src.filter((f) => /from ['"]node:net['"]/.test(readFileSync(f, 'utf8')));
    expect(importers.map((f) => f.slice(ROOT.length)).sort()).toEqual(['src/testing/server.ts', 'src/transport/index.ts']);
  });
});

describe.skipIf(SINGLE_FILE)('compile cache (dist/launch.cjs; npm package only: skipped for the single file)', () => {
  it('is written 0600 on the first run, used after, rewritten when corrupt, and can be turned off', async () => {
    const { mkdtempSync, readdirSync: ls, statSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { runCli } = await import('../helpers/run-cli.js');
    const cacheHome = mkdtempSync(join(tmpdir(), 'qmpsh-cache-'));
    const dir = join(cacheHome, 'qmpsh');
    try {
      const first = await runCli(['--version'], { env: { XDG_CACHE_HOME: cacheHome } });
      expect(first).toMatchObject({ code: 0, stdout: '0.1.0\n', stderr: '' });
      const [name] = ls(dir);
      expect(name).toMatch(/^cli-v\d+.*\.v8$/);
      const cache = join(dir, name as string);
      expect(statSync(cache).mode & 0o777).toBe(0o600);
      expect(statSync(cache).size).toBeGreaterThan(1000);

      writeFileSync(cache, 'garbage');
      const corrupt = await runCli(['--version'], { env: { XDG_CACHE_HOME: cacheHome } });
      expect(corrupt).toMatchObject({ code: 0, stdout: '0.1.0\n', stderr: '' });
      expect(statSync(cache).size).toBeGreaterThan(1000); // V8 rejected it; rewritten

      rmSync(dir, { recursive: true });
      const off = await runCli(['--version'], { env: { XDG_CACHE_HOME: cacheHome, QMPSH_NO_COMPILE_CACHE: '1' } });
      expect(off.code).toBe(0);
      expect(() => ls(dir)).toThrow();
    } finally {
      rmSync(cacheHome, { recursive: true, force: true });
    }
  });
});
