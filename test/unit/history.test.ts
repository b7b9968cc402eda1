import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { historyPath, MAX_ENTRIES, openHistory } from '../../src/cli/repl/history.js';

let dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'qmpsh-hist-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('REPL history file', () => {
  it('lives under XDG_STATE_HOME, else ~/.local/state', () => {
    expect(historyPath({ XDG_STATE_HOME: '/s', HOME: '/h' })).toBe('/s/qmpsh/history');
    expect(historyPath({ HOME: '/h' })).toBe('/h/.local/state/qmpsh/history');
    expect(historyPath({ XDG_STATE_HOME: 'relative', HOME: '/h' })).toBe('/h/.local/state/qmpsh/history');
  });

  it('is created 0600, appended as lines are entered, newest first when read', () => {
    const file = join(tmp(), 'qmpsh', 'history');
    const h = openHistory(file);
    h.add('query-status');
    h.add('query-status'); // the same line twice in a row is kept once
    h.add('query-name');
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('query-status\nquery-name\n');
    expect(openHistory(file).entries).toEqual(['query-name', 'query-status']);
  });

  it('tightens the mode of an existing file to 0600', () => {
    const file = join(tmp(), 'history');
    writeFileSync(file, 'old\n', { mode: 0o644 });
    openHistory(file).add('new');
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
  });

  it('is never followed through a symlink someone planted', () => {
    const dir = tmp();
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'secret\n');
    const file = join(dir, 'history');
    symlinkSync(target, file);
    const h = openHistory(file);
    h.add('query-status');
    expect(h.problem).toMatch(/symlink, refused/);
    expect(readFileSync(target, 'utf8')).toBe('secret\n');
  });

  it('keeps the last MAX_ENTRIES, and trims a file that grew past twice that', () => {
    const file = join(tmp(), 'history');
    writeFileSync(file, Array.from({ length: 2 * MAX_ENTRIES + 5 }, (_, i) => `cmd-${i}`).join('\n'));
    const h = openHistory(file);
    expect(h.entries).toHaveLength(MAX_ENTRIES);
    expect(h.entries[0]).toBe(`cmd-${2 * MAX_ENTRIES + 4}`);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(MAX_ENTRIES);
  });

  it("a second shell's trim loses none of the first shell's later lines", () => {
    const file = join(tmp(), 'history');
    writeFileSync(file, `${Array.from({ length: 2 * MAX_ENTRIES + 5 }, (_, i) => `old-${i}`).join('\n')}\n`, { mode: 0o600 });
    const first = openHistory(file); // trims: 1000 left
    writeFileSync(file, `${Array.from({ length: 2 * MAX_ENTRIES + 5 }, (_, i) => `more-${i}`).join('\n')}\n`, { mode: 0o600 });
    first.add('before-the-trim');
    const second = openHistory(file); // trims again, replacing the file
    first.add('from-the-first');
    second.add('from-the-second');
    first.add('first-again');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.slice(-4)).toEqual(['before-the-trim', 'from-the-first', 'from-the-second', 'first-again']);
    expect(lines).toHaveLength(MAX_ENTRIES + 3);
  });

  it('breaks a lock left by a shell that died holding it', () => {
    const file = join(tmp(), 'history');
    writeFileSync(`${file}.lock`, '2147483646'); // no such process
    openHistory(file).add('query-status');
    expect(readFileSync(file, 'utf8')).toBe('query-status\n');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('shells appending while others start and trim: no line is lost, none out of order', async () => {
    // The module, bundled for plain node, in several processes at once.
    const dir = tmp();
    const lib = join(dir, 'history.mjs');
    buildSync({
      entryPoints: [fileURLToPath(new URL('../../src/cli/repl/history.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: lib,
      logLevel: 'silent',
    });
    const file = join(dir, 'history');
    const run = (code: string) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', `import { openHistory } from ${JSON.stringify(lib)};\n${code}`], { stdio: 'inherit' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', reject);
        child.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
    const N = 3 * MAX_ENTRIES;
    // Two writers (w0, w1) of N lines each; three shells that keep starting (and trimming).
    const writers = [0, 1].map((w) => run(`const h = openHistory(${JSON.stringify(file)}); for (let i = 0; i < ${N}; i++) h.add('w${w}-' + i);`));
    const starters = [0, 1, 2].map(() => run(`for (let i = 0; i < 150; i++) openHistory(${JSON.stringify(file)});`));
    expect(await Promise.all([...writers, ...starters])).toEqual([0, 0, 0, 0, 0]);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    // A trim keeps the last MAX_ENTRIES: what is left is, for each writer, an unbroken run of its last lines.
    for (const w of [0, 1]) {
      const mine = lines.filter((l) => l.startsWith(`w${w}-`)).map((l) => Number(l.slice(3)));
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.at(-1)).toBe(N - 1);
      expect(mine).toEqual(Array.from({ length: mine.length }, (_, i) => N - mine.length + i));
    }
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});
