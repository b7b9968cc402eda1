import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
});
