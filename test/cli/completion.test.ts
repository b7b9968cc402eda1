/** Shell completion: `--complete LINE` answers, and bash uses them for real (in tmux). */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

let qemu: Qemu;
let binDir: string;
beforeAll(async () => {
  qemu = await startQemu();
  binDir = mkdtempSync(join(tmpdir(), 'qmpsh-bin-'));
  symlinkSync(BIN, join(binDir, 'qmpsh'));
});
afterAll(async () => {
  await qemu?.stop();
  rmSync(binDir, { recursive: true, force: true });
});

const complete = async (line: string) => (await runCli(['--complete', line])).stdout.trimEnd().split('\n').filter(Boolean);

describe('qmpsh --complete', () => {
  it('completes options, the target (as a path), commands, arguments, values and events', async () => {
    expect(await complete('qmpsh --time')).toEqual(['--timeout']);
    expect(await complete('qmpsh /tm')).toEqual(['__files__']);
    expect(await complete(`qmpsh ${qemu.sock} query-versi`)).toEqual(['query-version']);
    expect(await complete(`qmpsh ${qemu.sock} block_set_io_throttle iops_s`)).toEqual(['iops_size=']);
    expect(await complete(`qmpsh ${qemu.sock} blockdev-add driver=null-`)).toEqual(['driver=null-aio', 'driver=null-co']);
    expect(await complete(`qmpsh ${qemu.sock} --wait-event SHUT`)).toEqual(['SHUTDOWN']);
    expect(await complete('qmpsh --completion ')).toEqual(['bash', 'zsh']);
  });

  it('prints nothing, and exits 0, for a target that does not answer', async () => {
    const r = await runCli(['--complete', 'qmpsh /nonexistent.sock query-']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('prints the scripts; an unknown shell is a usage error', async () => {
    expect((await runCli(['--completion', 'bash'])).stdout).toMatch(/complete -F _qmpsh qmpsh/);
    expect((await runCli(['--completion', 'zsh'])).stdout).toMatch(/compdef _qmpsh qmpsh/);
    const fish = await runCli(['--completion', 'fish']);
    expect(fish.code).toBe(2);
  });
});

describe('bash completion in a real terminal', () => {
  it('completes a command and an argument name from the QEMU on the line', async () => {
    requireTmux();
    const t = Tmux.start(['bash', '--norc', '--noprofile'], { PATH: `${binDir}:${process.env.PATH}`, PS1: 'test$ ' });
    try {
      await t.waitFor(/test\$$/m);
      t.type('eval "$(qmpsh --completion bash)"');
      t.keys('Enter');
      t.type(`qmpsh ${qemu.sock} query-versi`);
      t.keys('Tab');
      await t.waitFor(/query-version$/m);
      t.keys('C-u');
      t.type(`qmpsh ${qemu.sock} block_set_io_throttle iops_s`);
      t.keys('Tab');
      await t.waitFor(/iops_size=$/m);
    } finally {
      t.close();
    }
  });
});
