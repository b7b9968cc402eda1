/** Transactions as qmp-shell users type them: on one line, or over lines in a script and the shell. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

let qemu: Qemu;
beforeAll(async () => {
  qemu = await startQemu({ monitors: ['plain', 'plain'] });
  const r = await runCli([qemu.sockets[1] as string, 'blockdev-add', 'driver=null-co', 'node-name=disk0', 'size=1048576']);
  expect(r.code).toBe(0);
});
afterAll(() => qemu?.stop());

/** The dirty bitmaps of node disk0, by name. */
async function bitmaps(): Promise<string[]> {
  const nodes = JSON.parse((await runCli([qemu.sockets[1] as string, 'query-named-block-nodes'])).stdout) as Array<{
    'node-name': string;
    'dirty-bitmaps'?: Array<{ name: string }>;
  }>;
  return (nodes.find((n) => n['node-name'] === 'disk0')?.['dirty-bitmaps'] ?? []).map((b) => b.name).sort();
}

describe('transactions', () => {
  it('one line in a script, typed by the schema (granularity is an int)', async () => {
    const r = await runCli([qemu.sock], {
      input: 'transaction( block-dirty-bitmap-add node=disk0 name=a1 granularity=65536, block-dirty-bitmap-add node=disk0 name=a2 )\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('{}');
    expect(await bitmaps()).toEqual(expect.arrayContaining(['a1', 'a2']));
  });

  it('over several lines in a script, and all or nothing', async () => {
    const r = await runCli([qemu.sock], {
      input: 'transaction(\n  block-dirty-bitmap-add node=disk0 name=b1\n  block-dirty-bitmap-add node=disk0 name=a1\n)\n',
    });
    expect(r.code).toBe(1); // a1 exists: the whole transaction fails
    expect(r.stderr).toMatch(/line 1: .*a1/);
    expect(await bitmaps()).not.toContain('b1');
  });

  it('a transaction is refused by --read-only, as anything that changes the VM', async () => {
    const r = await runCli([qemu.sock, '--read-only'], { input: 'transaction( block-dirty-bitmap-add node=disk0 name=r1 )\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--read-only: refused 'transaction'/);
    expect(await bitmaps()).not.toContain('r1');
  });

  it('one line in the shell', async () => {
    requireTmux();
    const t = Tmux.start([...CLI, qemu.sock], { TERM: 'xterm-256color', NO_COLOR: '1' }, 200, 40);
    try {
      await t.waitFor(/> ?$/m);
      t.type('transaction( block-dirty-bitmap-add node=disk0 name=c1, block-dirty-bitmap-add node=disk0 name=c2 )');
      t.keys('Enter');
      await t.waitFor(/^\{\}$/m);
      t.type('.exit');
      t.keys('Enter');
      expect(await t.exitCode()).toBe(0);
    } finally {
      t.close();
    }
    expect(await bitmaps()).toEqual(expect.arrayContaining(['c1', 'c2']));
  });
});
