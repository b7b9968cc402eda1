/** The package as a user installs it: the library entry and its boundaries. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('package', () => {
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

  it('imports node:net only in the transport', () => {
    const src = filesUnder(join(ROOT, 'src')).filter((f) => f.endsWith('.ts'));
    const importers = src.filter((f) => /from ['"]node:net['"]/.test(readFileSync(f, 'utf8')));
    expect(importers.map((f) => f.slice(ROOT.length))).toEqual(['src/transport/index.ts']);
  });
});
