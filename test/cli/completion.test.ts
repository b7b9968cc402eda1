/**
 * Shell completion: `--_complete LINE` answers, and bash, zsh and fish use
 * them for real, each in a pseudo-terminal (tmux): what the user sees after
 * Tab is what is checked.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { requireShell, requireTmux, Tmux } from '../helpers/tmux.js';

let qemu: Qemu;
const vmName = `compl-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
let tcp: string;
let home: string;
let binDir: string;
beforeAll(async () => {
  // A name no other test's QEMU has (qmpsh ps sees every QEMU of the host).
  qemu = await startQemu({ tcp: true, args: ['-name', vmName] });
  tcp = `tcp:127.0.0.1:${qemu.tcpPort}`;
  home = mkdtempSync(join(tmpdir(), 'qmpsh-home-'));
  binDir = join(home, 'bin');
  mkdirSync(binDir);
  symlinkSync(BIN, join(binDir, 'qmpsh'));
});
afterAll(async () => {
  await qemu?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const complete = async (line: string) => (await runCli(['--_complete', line])).stdout.trimEnd().split('\n').filter(Boolean);

describe('qmpsh --_complete', () => {
  it('completes options, the target (as a path), commands, arguments, values and events', async () => {
    expect(await complete('qmpsh --time')).toEqual(['--timeout']);
    expect(await complete('qmpsh /tm')).toEqual(['__files__']);
    expect(await complete('qmpsh unix:/tm')).toEqual(['__files__']);
    expect(await complete(`qmpsh ${qemu.sock} query-versi`)).toEqual(['query-version']);
    expect(await complete(`qmpsh ${tcp} query-versi`)).toEqual(['query-version']);
    expect(await complete(`qmpsh ${qemu.sock} block_set_io_throttle iops_s`)).toEqual(['iops_size=']);
    expect(await complete(`qmpsh ${qemu.sock} blockdev-add driver=null-`)).toEqual(['driver=null-aio', 'driver=null-co']);
    expect(await complete(`qmpsh ${qemu.sock} --wait-event SHUT`)).toEqual(['SHUTDOWN']);
    expect(await complete('qmpsh --completion ')).toEqual(['bash', 'zsh', 'fish']);
    expect(await complete(`qmpsh @${vmName.slice(0, -3)}`)).toEqual([`@${vmName}`]);
    expect(await complete(`qmpsh @${vmName} query-versi`)).toEqual(['query-version']);
  });

  it("completes a device_add driver's own properties and their values, bool values, cache. members", async () => {
    // Not the drivers: listing them (qom-list-types) makes QEMU load every module it has.
    expect(await complete(`qmpsh ${qemu.sock} device_add driver=virtio-net-pci-t`)).toEqual([]);
    const props = await complete(`qmpsh ${qemu.sock} device_add driver=virtio-net-pci `);
    expect(props).toEqual(expect.arrayContaining(['bus=', 'id=', 'mac=', 'netdev=', 'ioeventfd=', 'vectors=']));
    expect(props).not.toContain('driver=');
    expect(await complete(`qmpsh ${qemu.sock} device_add driver=virtio-net-pci ma`)).toEqual(['mac=']);
    expect(await complete(`qmpsh ${qemu.sock} device_add driver=virtio-net-pci ioeventfd=`)).toEqual(['ioeventfd=on', 'ioeventfd=off', 'ioeventfd=true', 'ioeventfd=false']);
    expect(await complete(`qmpsh ${qemu.sock} device_add driver=virtio-blk-pci driv`)).toEqual(['drive=']);
    // A driver QEMU does not have: its schema arguments only.
    expect(await complete(`qmpsh ${qemu.sock} device_add driver=nosuch `)).toEqual(['bus=', 'id=']);
    expect(await complete(`qmpsh ${qemu.sock} blockdev-add driver=null-co read-zeroes=`)).toEqual(['read-zeroes=on', 'read-zeroes=off', 'read-zeroes=true', 'read-zeroes=false']);
    expect(await complete(`qmpsh ${qemu.sock} blockdev-add driver=qcow2 cache.`)).toEqual(['cache.direct=', 'cache.no-flush=']);
  });

  it('answers whole words for --option=value and inside an open quote', async () => {
    expect(await complete('qmpsh --completion=z')).toEqual(['--completion=zsh']);
    expect(await complete('qmpsh --log=/tm')).toEqual(['__files__']);
    expect(await complete(`qmpsh ${qemu.sock} --wait-event=SHUT`)).toEqual(['--wait-event=SHUTDOWN']);
    expect(await complete(`qmpsh ${qemu.sock} blockdev-add 'driver=null-`)).toEqual(['driver=null-aio', 'driver=null-co']);
    expect(await complete(`qmpsh ${qemu.sock} blockdev-add "driver=null-c`)).toEqual(['driver=null-co']);
  });

  it('prints nothing, and exits 0, for a target that does not answer', async () => {
    const r = await runCli(['--_complete', 'qmpsh /nonexistent.sock query-']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('prints the scripts; an unknown shell is a usage error', async () => {
    expect(await runCli(['--completion', 'bash'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/complete -F _qmpsh qmpsh/) });
    expect(await runCli(['--completion', 'zsh'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/compdef _qmpsh qmpsh/) });
    expect(await runCli(['--completion', 'fish'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/complete -c qmpsh -f -a/) });
    for (const shell of ['bash', 'zsh', 'fish']) expect((await runCli(['--completion', shell])).stdout).toMatch(/--_complete/);
    const nosuch = await runCli(['--completion', 'nosuch']);
    expect(nosuch).toMatchObject({ code: 2, stdout: '' });
    expect(nosuch.stderr).toMatch(/no completion for 'nosuch'/);
  });
});

type Shell = 'bash' | 'zsh' | 'fish';

/** Starts `shell` in tmux with qmpsh's completion loaded, at a clean `test$ ` prompt. */
async function startShell(shell: Shell): Promise<Tmux> {
  requireTmux();
  requireShell(shell);
  const dir = mkdtempSync(join(home, `${shell}-`));
  // Nothing of the user's: no rc files, history or dump files outside `dir`.
  const env = { PATH: `${binDir}:${process.env.PATH}`, HOME: dir, PS1: 'test$ ', ZDOTDIR: dir, HISTFILE: join(dir, 'history'),
    XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), XDG_CACHE_HOME: join(dir, 'cache') };
  const argv = {
    bash: ['bash', '--norc', '--noprofile'],
    zsh: ['zsh', '-f'],
    // No autosuggestions: they would show the completion, in grey, before any Tab.
    fish: ['fish', '--no-config', '--private', '-C', 'function fish_prompt; printf "test\\$ "; end; set -g fish_autosuggestion_enabled 0'],
  }[shell];
  const setup = {
    bash: 'eval "$(qmpsh --completion bash)"',
    zsh: 'autoload -U compinit && compinit -u && eval "$(qmpsh --completion zsh)"',
    fish: 'qmpsh --completion fish | source',
  }[shell];
  // Wide: a socket path under the test run's own $TMPDIR makes long command lines, and a wrapped line matches nothing.
  const t = Tmux.start(argv, env, 300, 40);
  try {
    await t.waitFor(/^test\$/m);
    t.type(setup);
    t.keys('Enter');
    await fresh(t);
  } catch (err) {
    t.close();
    throw err;
  }
  return t;
}

/** An empty line on a cleared screen (once the previous command has finished). */
async function fresh(t: Tmux): Promise<void> {
  t.keys('C-e', 'C-u');
  t.keys('C-l');
  await t.waitFor(/^test\$\s*$/);
}

/** Types `line` on a fresh prompt and presses Tab `tabs` times. */
async function tab(t: Tmux, line: string, tabs = 1): Promise<void> {
  await fresh(t);
  t.type(line);
  await t.waitFor(new RegExp(`${escape(line.trimEnd())}$`, 'm'));
  t.keys(...Array<string>(tabs).fill('Tab'));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The prompt line ends with exactly `text` (after the target or command typed before it). */
const endsWith = (text: string) => new RegExp(`^test\\$ qmpsh(?: .*)? ${escape(text)}$`, 'm');

describe.each(['bash', 'zsh', 'fish'] as const)('%s completion in a real terminal', (shell) => {
  it('completes commands, argument names, values after key=, options, --completion and the target', async () => {
    const t = await startShell(shell);
    const sock = qemu.sock;
    // A list (bash: on the second Tab; zsh and fish: on the first).
    const listTabs = shell === 'bash' ? 2 : 1;
    try {
      await tab(t, `qmpsh ${sock} query-versi`);
      await t.waitFor(endsWith('query-version'));

      // A command name on a TCP target: `:` is a word break for bash.
      await tab(t, `qmpsh ${tcp} query-versi`);
      await t.waitFor(endsWith('query-version'));

      // An argument name: `key=`, and no space after it.
      await tab(t, `qmpsh ${sock} block_set_io_throttle iops_s`);
      await t.waitFor(endsWith('iops_size='));
      t.type('1');
      await t.waitFor(endsWith('iops_size=1'));

      // A value after key=: the `=` is not doubled, the key is kept.
      await tab(t, `qmpsh ${sock} blockdev-add driver=null-c`);
      await t.waitFor(endsWith('driver=null-co'));
      await tab(t, `qmpsh ${sock} blockdev-add driver=null-`, listTabs);
      await t.waitFor(/null-aio\s+\S*null-co$/m);
      expect(t.screen()).toMatch(endsWith('driver=null-'));

      // An option, and the values of --completion.
      await tab(t, 'qmpsh --time');
      await t.waitFor(endsWith('--timeout'));
      await tab(t, 'qmpsh --completion ', listTabs);
      await t.waitFor(/^bash\s+fish\s+zsh$/m);
      await tab(t, 'qmpsh --completion=z');
      await t.waitFor(endsWith('--completion=zsh'));

      // The target is a path (also after unix:).
      await tab(t, `qmpsh ${qemu.dir}/m`);
      await t.waitFor(endsWith(sock));
      await tab(t, `qmpsh unix:${qemu.dir}/m`);
      await t.waitFor(endsWith(`unix:${sock}`));
      // A directory: a `/` and no space, so the path can go on.
      await tab(t, `qmpsh unix:${binDir.slice(0, -1)}`);
      await t.waitFor(endsWith(`unix:${binDir}/`));
      t.type('q');
      await t.waitFor(endsWith(`unix:${binDir}/q`));
    } finally {
      t.close();
    }
  }, 60_000);

  it('completes the name of a VM on this host after @, then commands on it', async () => {
    const t = await startShell(shell);
    try {
      await tab(t, `qmpsh @${vmName.slice(0, -2)}`);
      await t.waitFor(endsWith(`@${vmName}`));
      t.type(' query-versi');
      t.keys('Tab');
      await t.waitFor(endsWith('query-version'));
    } finally {
      t.close();
    }
  }, 60_000);

  it("completes device_add's driver properties from the live QEMU", async () => {
    const t = await startShell(shell);
    try {
      await tab(t, `qmpsh ${qemu.sock} device_add driver=virtio-net-pci ma`);
      await t.waitFor(endsWith('driver=virtio-net-pci mac='));
      t.type('52:54:00:12:34:56 ioeventf');
      t.keys('Tab');
      await t.waitFor(endsWith('mac=52:54:00:12:34:56 ioeventfd='));
      t.type('of');
      t.keys('Tab');
      await t.waitFor(endsWith('ioeventfd=off'));
    } finally {
      t.close();
    }
  }, 60_000);

  if (shell === 'bash') {
    it('lists the values after `driver=` on Tab Tab, leaving `driver=` as it was', async () => {
      const t = await startShell(shell);
      try {
        await tab(t, `qmpsh ${qemu.sock} blockdev-add driver=`, 2);
        const screen = await t.waitFor(/(^|\s)null-aio\s[\s\S]*(^|\s)null-co(\s|$)/m);
        expect(screen).not.toMatch(/driver==/);
        expect(screen).toMatch(/^test\$ qmpsh .* blockdev-add driver=$/m);
        // ...and then the value completes.
        t.type('null-c');
        t.keys('Tab');
        await t.waitFor(endsWith('driver=null-co'));
        expect(t.screen()).not.toMatch(/driver==/);
      } finally {
        t.close();
      }
    }, 60_000);
  }
});
