/** --launch, --listen and --agent against real processes. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QEMU_BINARY } from '../helpers/qemu.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

const QEMU = [QEMU_BINARY, '-M', 'none', '-nodefaults', '-display', 'none'];
/** Processes whose command line mentions `text` (from /proc: no procps needed). */
function processesWith(text: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}
const running = (sock: string) => processesWith(sock).length > 0;
/** qemu-ga lives in /usr/sbin, which a non-root PATH may lack. */
const QEMU_GA = existsSync('/usr/sbin/qemu-ga') ? '/usr/sbin/qemu-ga' : 'qemu-ga';

describe('--launch', () => {
  it('starts QEMU, runs the command, and QEMU and its directory are gone afterwards', async () => {
    // Its own $TMPDIR: other test files launch QEMUs in the shared one at the same time.
    const own = mkdtempSync(join(tmpdir(), 'qmpsh-launch-test-'));
    try {
      const r = await runCli(['--launch', 'query-status', '--', ...QEMU], { env: { TMPDIR: own } });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running' });
      expect(readdirSync(own)).toEqual([]);
      expect(processesWith(join(own, 'qmpsh-launch-'))).toEqual([]);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('runs a script (batch mode) against the launched QEMU', async () => {
    const r = await runCli(['--launch', '--', ...QEMU], { input: 'stop\nquery-status\n' });
    expect(r.code).toBe(0);
    const [stopped, status] = r.stdout.trim().split('\n');
    expect(stopped).toBe('{}');
    expect(JSON.parse(status as string)).toMatchObject({ status: 'paused', running: false });
  });

  it('--keep leaves QEMU running and says where its monitor is', async () => {
    const r = await runCli(['--launch', '--keep', 'query-status', '--', ...QEMU]);
    expect(r.code).toBe(0);
    const m = /keeps running; its monitor: (\S+)/.exec(r.stderr);
    expect(m).not.toBeNull();
    const sock = (m as RegExpExecArray)[1] as string;
    expect(running(sock)).toBe(true);
    expect((await runCli([sock, 'quit'])).code).toBe(0);
    rmSync(join(sock, '..'), { recursive: true, force: true });
  });

  /** --launch query-status with $TMPDIR set to `tmp`: it must work as with any other. */
  async function launchWith(tmp: string) {
    const r = await runCli(['--launch', 'query-status', '--', ...QEMU], { env: { TMPDIR: tmp } });
    expect(r.stderr, tmp).toBe('');
    expect(r.code, tmp).toBe(0);
    expect(JSON.parse(r.stdout), tmp).toMatchObject({ status: 'running' });
  }

  it('works with a comma in $TMPDIR (QEMU\'s option syntax doubles it)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'qmpsh-comma-'));
    const tmp = join(base, 'a,b');
    mkdirSync(tmp);
    try {
      await launchWith(tmp);
      expect(readdirSync(tmp)).toEqual([]); // and its directory is gone
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('works with a $TMPDIR that is missing or relative: the socket goes under /tmp (not an internal error)', async () => {
    for (const tmp of [join(tmpdir(), 'qmpsh-no-such-dir', 'x'), 'relative']) await launchWith(tmp);
  });

  it('works with a $TMPDIR too long for a socket path (107 bytes): the socket goes under /tmp', async () => {
    const base = mkdtempSync(join(tmpdir(), 'qmpsh-long-'));
    const tmp = join(base, 'x'.repeat(100));
    mkdirSync(tmp);
    try {
      await launchWith(tmp);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('shows QEMU\'s own error when it fails to start, and a missing binary, exit 3', async () => {
    const bad = await runCli(['--launch', 'query-status', '--', QEMU_BINARY, '-M', 'no-such-machine', '-display', 'none']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^qmpsh: QEMU exited \(code 1\) before its monitor answered: .*unsupported machine type/);
    const missing = await runCli(['--launch', 'query-status', '--', 'qemu-system-nonexistent', '-M', 'none']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^qmpsh: cannot run qemu-system-nonexistent: not found/);
  });
});

describe('--listen', () => {
  it('waits for a QEMU started with -qmp unix:PATH (QEMU as the client)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmpsh-listen-'));
    const sock = join(dir, 'l.sock');
    try {
      const pending = runCli(['--listen', sock, 'query-status']);
      while (!existsSync(sock)) await new Promise((r) => setTimeout(r, 20));
      const qemu = spawn(QEMU_BINARY, ['-M', 'none', '-nodefaults', '-display', 'none', '-qmp', `unix:${sock}`], { stdio: 'ignore' });
      try {
        const r = await pending;
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running' });
        expect(existsSync(sock)).toBe(false); // the listening socket is cleaned up
      } finally {
        qemu.kill('SIGKILL');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--agent (qemu-ga)', () => {
  let dir: string;
  let ga: ReturnType<typeof spawn>;
  let sock: string;
  // The agent runs on this host: block every RPC that touches it.
  const BLOCKED = [
    'guest-shutdown', 'guest-suspend-disk', 'guest-suspend-ram', 'guest-suspend-hybrid', 'guest-exec', 'guest-exec-status',
    'guest-file-open', 'guest-file-close', 'guest-file-read', 'guest-file-write', 'guest-file-seek', 'guest-file-flush',
    'guest-set-time', 'guest-set-vcpus', 'guest-set-memory-blocks', 'guest-set-user-password', 'guest-fsfreeze-freeze',
    'guest-fsfreeze-freeze-list', 'guest-fsfreeze-thaw', 'guest-fstrim', 'guest-ssh-add-authorized-keys',
    'guest-ssh-remove-authorized-keys',
  ];
  beforeAll(async () => {
    const probe = spawnSync(QEMU_GA, ['--version']);
    if (probe.error) throw new Error('qemu-ga is needed: apt-get install qemu-guest-agent (scripts/install-deps.sh does)');
    dir = mkdtempSync(join(tmpdir(), 'qmpsh-ga-'));
    sock = join(dir, 'ga.sock');
    ga = spawn(QEMU_GA, ['-m', 'unix-listen', '-p', sock, `--block-rpcs=${BLOCKED.join(',')}`, '-t', dir], { stdio: 'ignore' });
    while (!existsSync(sock)) await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(() => {
    ga?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs guest-info with the same output as QMP, no greeting, no negotiation', async () => {
    const r = await runCli(['--agent', sock, 'guest-info']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: expect.any(String), supported_commands: expect.any(Array) });
  });

  it('reports errors with the same exit codes', async () => {
    const blocked = await runCli(['--agent', sock, 'guest-shutdown']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toBe('qmpsh: CommandNotFound: Command guest-shutdown has been disabled\n');
    const missing = await runCli(['--agent', join(dir, 'nope.sock'), 'guest-ping']);
    expect(missing.code).toBe(3);
  });

  it('a guest agent\'s socket without --agent: says so and suggests --agent (not "monitor busy")', async () => {
    const r = await runCli([sock, 'guest-ping', '--connect-timeout', '1']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/busy/);
    expect(r.stderr).toMatch(
      /^qmpsh: no greeting from .*ga\.sock within 1s: it looks like a QEMU guest agent \(qemu-ga, pid \d+\), not a QEMU monitor: an agent sends no greeting \(use --agent\)\n$/,
    );
    // The library names no flag: its error carries the hint.
    const { QmpClient } = await import('../../src/index.js');
    const err = await QmpClient.connect(sock, { connectTimeoutMs: 1000 }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'QMP_CONNECT_FAILED', hint: 'agent' });
    expect((err as Error).message).not.toMatch(/--agent/);
    // The agent is still there for the next client.
    expect((await runCli(['--agent', sock, 'guest-ping'])).code).toBe(0);
  });

  it('the shell asks a guest agent nothing of QEMU\'s (live names, HMP help, device properties, jobs)', async () => {
    requireTmux();
    const log = join(dir, 'repl.log');
    const t = Tmux.start([...CLI, '--agent', sock, '-v', '--log', log], { XDG_STATE_HOME: dir, TERM: 'xterm-256color' });
    try {
      await t.waitFor(/ga\.sock \[agent\]>$/m);
      t.type('guest-ping');
      t.keys('Enter');
      await t.waitFor(/^\{\}\n.*\[agent\]>$/m);
      // Tab where a QEMU would be asked: HMP's commands, device_add's driver properties.
      t.type('!in');
      t.keys('Tab');
      t.keys('C-u');
      t.type('device_add driver=virtio-net-pci ');
      t.keys('Tab');
      await new Promise((r) => setTimeout(r, 300));
      t.keys('C-u');
      t.type('.jobs');
      t.keys('Enter');
      await t.waitFor(/^\.jobs is about QEMU's jobs and migration: a guest agent has none\n.*\[agent\]>$/m);
      t.keys('C-d');
      expect(await t.exitCode()).toBe(0);
      expect(t.screen()).not.toMatch(/CommandNotFound|qmpsh's own/);
      const sent = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { dir: string; msg: { execute?: string } })
        .filter((record) => record.dir === 'out')
        .map((record) => record.msg.execute);
      expect(sent).toEqual(['guest-ping']);
    } finally {
      t.close();
    }
  });

  it('runs a script in one session', async () => {
    const r = await runCli(['--agent', sock], { input: 'guest-ping\nguest-get-timezone\n' });
    expect(r.code).toBe(0);
    const [ping, tz] = r.stdout.trim().split('\n');
    expect(ping).toBe('{}');
    expect(JSON.parse(tz as string)).toHaveProperty('zone');
  });
});
