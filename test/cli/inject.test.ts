/**
 * Escape injection through a real QEMU: a file name chosen by a guest owner
 * or an attacker (`x<ESC>]0;T<BEL>.img`) comes back in QEMU's own text (HMP
 * `info block`, error descriptions, query-block). Nothing of it may reach a
 * terminal live, in any output form.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/;
let qemu: Qemu;
let dir: string;
let evil: string;

beforeAll(async () => {
  qemu = await startQemu();
  dir = mkdtempSync(join(tmpdir(), 'qmpsh-inject-'));
  evil = join(dir, 'x\x1b]0;PWNED\x07\u202e.img');
  writeFileSync(evil, Buffer.alloc(65536));
  const r = await runCli([qemu.sock, 'blockdev-add', 'driver=file', 'node-name=evil', `filename=${evil}`]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await qemu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a hostile file name through a real QEMU', () => {
  it.each([
    ['HMP info block -n', ['--hmp', 'info block -n']],
    ['query-named-block-nodes, pretty', ['query-named-block-nodes', '--pretty']],
    ['query-named-block-nodes, colour', ['query-named-block-nodes', '--pretty']],
    ['an error naming the file', ['blockdev-add', 'driver=file', 'node-name=evil2', 'filename=PLACEHOLDER']],
    ['--table', ['query-named-block-nodes', '--table']],
  ])('%s', async (name, args) => {
    const argv = args.map((a) => (a === 'filename=PLACEHOLDER' ? `filename=${evil}.missing` : a));
    const env = name.includes('colour') ? { FORCE_COLOR: '1' } : {};
    const r = await runCli([qemu.sock, ...argv], { env });
    const text = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
    expect(text, JSON.stringify(text)).not.toMatch(UNSAFE);
    expect(text).toMatch(/\\x1b\]0;PWNED\\x07|\\u001b\]0;PWNED\\u0007/);
  });

  it('the same in the shell, whose terminal title stays', async () => {
    requireTmux();
    const t = Tmux.start([...CLI, qemu.sock], { NO_COLOR: '1', TERM: 'xterm-256color' }, 200, 50);
    try {
      await t.waitFor(/> ?$/m);
      t.type('!info block -n');
      t.keys('Enter');
      await t.waitFor(/PWNED/);
      expect(t.title()).not.toMatch(/PWNED/);
      expect(t.screen()).toMatch(/\\x1b\]0;PWNED\\x07/);
    } finally {
      t.close();
    }
  });
});
