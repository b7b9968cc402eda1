/**
 * The REPL's Tab, in a real terminal (tmux) against a real QEMU: bool
 * values, `cache.` members, HMP `info` subcommands (with `!` and in HMP
 * mode), job ids after block-job-*'s `device=` and job-*'s `id=`, and
 * device_add's driver properties from device-list-properties.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

let qemu: Qemu;
let stateHome: string;
const terminals: Tmux[] = [];

beforeAll(async () => {
  requireTmux();
  // drive0 is a drive name: block-job-cancel device= must not offer it.
  qemu = await startQemu({ monitors: ['plain', 'plain'], args: ['-drive', 'if=none,id=drive0,driver=null-co'] });
  stateHome = mkdtempSync(join(tmpdir(), 'qmpsh-state-'));
  const B = qemu.sockets[1] as string;
  // A mirror that stays running: 1 GiB at 1 byte/s.
  for (const cmd of [
    ['blockdev-add', 'driver=null-co', 'node-name=src', 'size=1073741824'],
    ['blockdev-add', 'driver=null-co', 'node-name=tgt', 'size=1073741824'],
    ['blockdev-mirror', 'job-id=mjob', 'device=src', 'target=tgt', 'sync=full', 'speed=1'],
  ]) {
    expect((await runCli([B, ...cmd])).code).toBe(0);
  }
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
});
afterAll(async () => {
  await qemu?.stop();
  rmSync(stateHome, { recursive: true, force: true });
});

function repl(): Tmux {
  const t = Tmux.start([...CLI, qemu.sock], { XDG_STATE_HOME: stateHome, TERM: 'xterm-256color' });
  terminals.push(t);
  return t;
}

const PROMPT = /m0\.sock \[running\]>$/m;
const settle = () => new Promise((r) => setTimeout(r, 150));

/** Types `line` on an empty prompt line and presses Tab (twice: the list), one Tab a keys() call. */
async function tab(t: Tmux, line: string, tabs = 1): Promise<void> {
  t.keys('C-e', 'C-u');
  t.type(line);
  await t.waitFor(new RegExp(`> ${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  for (let i = 0; i < tabs; i++) {
    if (i > 0) await settle();
    t.keys('Tab');
  }
}

describe('REPL completion', () => {
  it('completes bool values, cache. members, and HMP info subcommands', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    // The schema loads in the background: help waits for it.
    t.type('help blockdev-add');
    t.keys('Enter');
    await t.waitFor(/blockdev-add .*\(command\)/);
    t.keys('C-l');

    await tab(t, 'blockdev-add driver=null-co read-zeroes=', 2);
    await t.waitFor(/read-zeroes=on\s+read-zeroes=off\s+read-zeroes=true\s+read-zeroes=false|read-zeroes=false\s+read-zeroes=off\s+read-zeroes=on\s+read-zeroes=true/);
    await tab(t, 'blockdev-add driver=null-co read-zeroes=tr');
    await t.waitFor(/> blockdev-add driver=null-co read-zeroes=true$/m);

    await tab(t, 'blockdev-add driver=qcow2 cache.', 2);
    await t.waitFor(/cache\.direct=\s+cache\.no-flush=/);
    await tab(t, 'blockdev-add driver=qcow2 cache.no');
    await t.waitFor(/> blockdev-add driver=qcow2 cache\.no-flush=$/m);

    await tab(t, '!info vers');
    await t.waitFor(/> !info version$/m);
    await tab(t, '!info sta', 2);
    await t.waitFor(/^stats\s+status$/m);

    t.keys('C-e', 'C-u');
    t.type('.hmp');
    t.keys('Enter');
    await t.waitFor(/\(hmp\) m0\.sock \[running\]>$/m);
    await tab(t, 'info qom-tr');
    await t.waitFor(/> info qom-tree$/m);
    t.keys('C-e', 'C-u');
    t.type('.qmp');
    t.keys('Enter');
    await t.waitFor(PROMPT);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  }, 30_000);

  it('offers job ids, not drive names, after block-job-cancel device= and job-pause id=', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('help block-job-cancel');
    t.keys('Enter');
    await t.waitFor(/block-job-cancel .*\(command\)/);
    t.keys('C-l');
    await tab(t, 'block-job-cancel device=');
    await t.waitFor(/> block-job-cancel device=mjob$/m);
    await tab(t, 'job-pause id=');
    await t.waitFor(/> job-pause id=mjob$/m);
    // A drive name is still what block_set_io_throttle's device= takes.
    await tab(t, 'block_set_io_throttle device=');
    await t.waitFor(/> block_set_io_throttle device=drive0$/m);
    expect(t.screen()).not.toMatch(/block-job-cancel device=drive0/);
    t.keys('C-e', 'C-u', 'C-d');
    expect(await t.exitCode()).toBe(0);
  }, 30_000);

  it("completes device_add's driver's own properties and their values", async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('help device_add');
    t.keys('Enter');
    await t.waitFor(/device_add .*\(command\)/);
    t.keys('C-l');
    await tab(t, 'device_add driver=virtio-net-pci ma');
    await t.waitFor(/> device_add driver=virtio-net-pci mac=$/m);
    await tab(t, 'device_add driver=virtio-net-pci mac=52:54:00:12:34:56 ioeventf');
    await t.waitFor(/> device_add driver=virtio-net-pci mac=52:54:00:12:34:56 ioeventfd=$/m);
    await tab(t, 'device_add driver=virtio-net-pci disable-legacy=', 2);
    await t.waitFor(/disable-legacy=on\s+disable-legacy=off\s+disable-legacy=auto|disable-legacy=auto\s+disable-legacy=off\s+disable-legacy=on/);
    // Another driver, its own properties.
    await tab(t, 'device_add driver=virtio-blk-pci drive');
    await t.waitFor(/> device_add driver=virtio-blk-pci drive=$/m);
    t.keys('C-e', 'C-u', 'C-d');
    expect(await t.exitCode()).toBe(0);
  }, 30_000);
});
