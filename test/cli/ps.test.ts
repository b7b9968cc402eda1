/**
 * qmpsh ps and @NAME targets against real QEMUs started with each manager's
 * command-line shape. Other tests' QEMUs run at the same time: every name
 * here carries this run's tag, and ps output is filtered to this test's
 * directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, holdMonitor, QEMU_BINARY, requireQemu, storageDaemonOf } from '../helpers/qemu.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { startSshd } from '../helpers/sshd.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

const TAG = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
const QSD = storageDaemonOf(QEMU_BINARY) ?? '/usr/bin/qemu-storage-daemon';

let dir: string;
let tcpPort: number;
const children: ChildProcess[] = [];
let daemonPid: number | undefined;
const held: Array<{ release(): void }> = [];
const sock = (name: string) => join(dir, name);
const BASE = ['-M', 'none', '-nodefaults', '-display', 'none'];

/** Polls until the socket greets (a socket file exists slightly before QEMU accepts: QMP-NOTES). */
async function greets(target: { path: string } | { host: string; port: number }): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createConnection(target as net.NetConnectOpts);
      s.on('data', (d) => {
        s.destroy();
        resolve(d.toString().includes('"QMP"'));
      });
      s.on('error', () => resolve(false));
      s.setTimeout(2000, () => (s.destroy(), resolve(false)));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no greeting at ${JSON.stringify(target)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

function start(binary: string, args: string[]): ChildProcess {
  const p = spawn(binary, args, { stdio: 'ignore' });
  children.push(p);
  return p;
}

beforeAll(async () => {
  requireQemu();
  if (!existsSync(QSD)) throw new Error(`${QSD} is needed: scripts/install-deps.sh installs it`);
  dir = mkdtempSync(join(tmpdir(), 'qmpsh-ps-'));
  tcpPort = await freePort();
  // Ganeti: the old -qmp syntax.
  start(QEMU_BINARY, [...BASE, '-name', `web1-${TAG}`, '-qmp', `unix:${sock('g.qmp')},server,nowait`]);
  // Proxmox: -chardev + -mon, and a second monitor (the first one held below).
  start(QEMU_BINARY, [...BASE, '-name', `web2-${TAG},debug-threads=on`,
    '-chardev', `socket,id=qmp,path=${sock('p.qmp')},server=on,wait=off`, '-mon', 'chardev=qmp,mode=control',
    '-chardev', `socket,id=qmp2,path=${sock('p2.qmp')},server=on,wait=off`, '-mon', 'chardev=qmp2,mode=control,pretty=on']);
  // A TCP monitor.
  start(QEMU_BINARY, [...BASE, '-name', `guest=tcp-${TAG}`, '-qmp', `tcp:127.0.0.1:${tcpPort},server=on,wait=off`]);
  // The only monitor held by another client.
  start(QEMU_BINARY, [...BASE, '-name', `held-${TAG}`, '-qmp', `unix:${sock('h.qmp')},server=on,wait=off`]);
  // A human monitor only.
  start(QEMU_BINARY, [...BASE, '-name', `hmp-${TAG}`, '-monitor', `unix:${sock('hmp.sock')},server=on,wait=off`]);
  // A name with spaces, a doubled comma and unicode.
  start(QEMU_BINARY, [...BASE, '-name', `guest=vm ünï ☃,,x-${TAG}`, '-qmp', `unix:${sock('u.qmp')},server=on,wait=off`]);
  // A name that is terminal control: shown, never obeyed.
  start(QEMU_BINARY, [...BASE, '-name', `evil\x1b]0;PWNED\x07\u202e-${TAG}`, '-qmp', `unix:${sock('e.qmp')},server=on,wait=off`]);
  // Two VMs of one name.
  start(QEMU_BINARY, [...BASE, '-name', `dup-${TAG}`, '-qmp', `unix:${sock('d1.qmp')},server=on,wait=off`]);
  start(QEMU_BINARY, [...BASE, '-name', `dup-${TAG}`, '-qmp', `unix:${sock('d2.qmp')},server=on,wait=off`]);
  // qemu-storage-daemon (no -name: it answers to its pid).
  start(QSD, ['--chardev', `socket,id=m,path=${sock('qsd.qmp')},server=on,wait=off`, '--monitor', 'chardev=m']);
  // libvirt: the monitor socket is bound by libvirtd and handed to QEMU as an
  // fd (-chardev socket,fd=N); perl (Debian's essential perl-base) binds it
  // and execs QEMU with it as fd 3. Held below, as libvirtd holds it.
  mkdirSync(sock('libvirt'));
  start('perl', ['-MSocket', '-MPOSIX', '-e',
    '$^F = 255; socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die; bind($s, pack_sockaddr_un(shift)) or die; listen($s, 5) or die; ' +
      'fileno($s) == 3 or POSIX::dup2(fileno($s), 3) or die; exec @ARGV or die',
    sock('libvirt/m.sock'), QEMU_BINARY, ...BASE, '-name', `guest=lv-${TAG},debug-threads=on`,
    '-chardev', 'socket,id=charmonitor,fd=3,server=on,wait=off', '-mon', 'chardev=charmonitor,id=monitor,mode=control']);
  // A daemonized QEMU: not our child; killed by its pid at the end.
  const d = spawn(QEMU_BINARY, [...BASE, '-name', `daemon-${TAG}`, '-qmp', `unix:${sock('dm.qmp')},server=on,wait=off`, '-daemonize', '-pidfile', sock('dm.pid')], { stdio: 'ignore' });
  await new Promise((r) => d.once('exit', r));
  daemonPid = Number(readFileSync(sock('dm.pid'), 'utf8'));
  for (const s of ['libvirt/m.sock', 'e.qmp', 'g.qmp', 'p.qmp', 'p2.qmp', 'h.qmp', 'u.qmp', 'd1.qmp', 'd2.qmp', 'qsd.qmp', 'dm.qmp']) await greets({ path: sock(s) });
  await greets({ host: '127.0.0.1', port: tcpPort });
  held.push(await holdMonitor(sock('h.qmp')), await holdMonitor(sock('p.qmp')), await holdMonitor(sock('libvirt/m.sock')));
}, 60_000);

afterAll(() => {
  for (const h of held) h.release();
  for (const c of children) c.kill('SIGKILL');
  if (daemonPid) {
    try {
      process.kill(daemonPid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PsLine {
  pid: number;
  name: string | null;
  target: string;
  program: string;
  daemonized: boolean;
  process: string;
  status?: string;
  host?: string;
  monitors: Array<{ protocol: string; address: string; mode: string; pretty: boolean; state: string; holder?: { pid: number; program: string } }>;
}

/** Only the QEMUs this test started. */
const mine = (out: string): PsLine[] =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PsLine)
    .filter((v) => v.monitors.some((m) => m.address.startsWith(dir) || m.address.endsWith(`:${tcpPort}`)));

const byName = (vms: PsLine[], name: string) => vms.find((v) => v.name === name) as PsLine;

describe('qmpsh ps', () => {
  it('lists every shape: names, monitors, free or held (by whom), daemonized, NDJSON when not a terminal', async () => {
    const r = await runCli(['ps']);
    expect(r.code, r.stderr).toBe(0);
    const vms = mine(r.stdout);
    expect(vms).toHaveLength(12);
    expect(byName(vms, `web1-${TAG}`).monitors).toEqual([{ protocol: 'qmp', address: sock('g.qmp'), mode: 'server', pretty: false, state: 'free' }]);
    const web2 = byName(vms, `web2-${TAG}`);
    expect(web2.monitors).toMatchObject([
      { protocol: 'qmp', address: sock('p.qmp'), state: 'held', holder: { pid: process.pid } },
      { protocol: 'qmp', address: sock('p2.qmp'), pretty: true, state: 'free' },
    ]);
    expect(byName(vms, `tcp-${TAG}`).monitors).toMatchObject([{ protocol: 'qmp', address: `127.0.0.1:${tcpPort}`, state: 'free' }]);
    expect(byName(vms, `held-${TAG}`).monitors).toMatchObject([{ state: 'held', holder: { pid: process.pid } }]);
    // libvirt's fd-passed socket: its path from /proc/net/unix, through QEMU's fd.
    expect(byName(vms, `lv-${TAG}`).monitors).toMatchObject([{ protocol: 'qmp', address: sock('libvirt/m.sock'), state: 'held', holder: { pid: process.pid } }]);
    expect(byName(vms, `hmp-${TAG}`).monitors).toMatchObject([{ protocol: 'hmp', address: sock('hmp.sock') }]);
    expect(byName(vms, `vm ünï ☃,x-${TAG}`).target).toBe(`@vm ünï ☃,x-${TAG}`);
    expect(byName(vms, `daemon-${TAG}`)).toMatchObject({ pid: daemonPid, daemonized: true });
    const qsd = vms.find((v) => v.program.startsWith('qemu-storage-d')) as PsLine;
    expect(qsd).toMatchObject({ name: null, target: `@${qsd.pid}`, monitors: [{ protocol: 'qmp', address: sock('qsd.qmp'), state: 'free' }] });
  });

  it('--status asks each free monitor for its run state; --table aligns one row per monitor', async () => {
    // --status connects to every monitor it lists: only this run's VMs (another
    // run's ps would otherwise find them held by this one).
    const r = await runCli(['ps', `@*-${TAG}`, '--status']);
    const vms = mine(r.stdout);
    expect(vms.every((v) => v.name?.endsWith(`-${TAG}`))).toBe(true);
    expect(byName(vms, `web1-${TAG}`).status).toBe('running');
    expect(byName(vms, `web2-${TAG}`).status).toBe('running'); // through the free second monitor
    expect(byName(vms, `held-${TAG}`).status).toBe('(held)');
    expect(byName(vms, `hmp-${TAG}`).status).toBe('(no qmp)');
    const t = await runCli(['ps', `@*-${TAG}`, '--table', '--status']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^PID +NAME +UPTIME +STATUS +MONITORS$/m);
    expect(t.stdout).toContain(`web2-${TAG}`);
    expect(t.stdout).toMatch(new RegExp(`qmp ${sock('h.qmp').replace(/[.]/g, '\\.')} \\[held by .+ \\(pid ${process.pid}\\)\\]`));
    expect(t.stdout).toMatch(new RegExp(`qmp pretty ${sock('p2.qmp').replace(/[.]/g, '\\.')} \\[free\\]`));
  });

  it('a name that is terminal control is shown inert, in the table and in NDJSON', async () => {
    for (const args of [['ps'], ['ps', '--table']]) {
      const r = await runCli(args, { env: { FORCE_COLOR: '1' } });
      expect(r.stdout.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
      expect(r.stdout).toMatch(/evil(\\x1b|\\u001b)\]0;PWNED/);
    }
  });

  it('options that mean nothing to ps are refused (exit 2)', async () => {
    const r = await runCli(['ps', '--read-only']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^qmpsh: --read-only does not apply to qmpsh ps/);
    expect((await runCli(['ps', '/tmp/x'])).code).toBe(2);
    const bare = await runCli(['ps', '@']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/'@' alone names no VM/);
  });

  it('@NAME and @GLOB words list only those VMs', async () => {
    expect(mine((await runCli(['ps', `@web1-${TAG}`])).stdout).map((v) => v.name)).toEqual([`web1-${TAG}`]);
    const webs = mine((await runCli(['ps', `@web*-${TAG}`, `@tcp-${TAG}`])).stdout).map((v) => v.name).sort();
    expect(webs).toEqual([`tcp-${TAG}`, `web1-${TAG}`, `web2-${TAG}`]);
    expect((await runCli(['ps', `@nothing-${TAG}`])).stdout).toBe('');
  });
});

describe('@NAME targets', () => {
  it.each([
    ['Ganeti', `@web1-${TAG}`],
    ['Proxmox, first monitor held: the free second one', `@web2-${TAG}`],
    ['TCP', `@tcp-${TAG}`],
    ['spaces, comma and unicode', `@vm ünï ☃,x-${TAG}`],
    ['daemonized', `@daemon-${TAG}`],
  ])('%s: one-shot', async (_shape, target) => {
    const r = await runCli([target, 'query-status']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running' });
  });

  it('qemu-storage-daemon by its pid', async () => {
    const qsd = mine((await runCli(['ps'])).stdout).find((v) => v.program.startsWith('qemu-storage-d')) as PsLine;
    const r = await runCli([`@${qsd.pid}`, 'query-version']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('fans out by a name glob, sorted by name; a held VM is its target\'s error', async () => {
    const r = await runCli([`@*-${TAG}`, 'query-name']);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { target: string; return?: { name: string }; error?: { code: string; message: string } });
    const targets = lines.map((l) => l.target);
    expect(targets).toContain(`@web1-${TAG}`);
    expect(targets).toContain(`@web2-${TAG}`);
    expect(lines.find((l) => l.target === `@web1-${TAG}`)?.return?.name).toBe(`web1-${TAG}`);
    expect(lines.find((l) => l.target === `@held-${TAG}`)?.error).toMatchObject({ code: 'QMP_MONITOR_BUSY', message: expect.stringMatching(`pid ${process.pid}`) });
    expect(lines.find((l) => l.target === `@hmp-${TAG}`)?.error?.message).toMatch(/no QMP monitor/);
    // Two of one name: each by its pid.
    expect(targets.filter((t) => /^@\d+$/.test(t))).toHaveLength(2);
    expect(r.code).toBe(3);
    const web = await runCli([`@web?-${TAG}`, 'query-status', '--table']);
    expect(web.code, web.stderr).toBe(0);
    expect(web.stdout).toMatch(new RegExp(`^@web1-${TAG} +running`, 'm'));
  });

  it('unknown and ambiguous names are exit 2 with suggestions; held and HMP-only say why and what to do', async () => {
    const unknown = await runCli([`@web3-${TAG}`, 'query-status']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(new RegExp(`^qmpsh: no VM named 'web3-${TAG}' on this host: did you mean @web1-${TAG}, @web2-${TAG}`));
    const dup = await runCli([`@dup-${TAG}`, 'query-status']);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/names 2 VMs on this host \(pid \d+, pid \d+\): name one by its pid \(@\d+, @\d+\)/);
    const h = await runCli([`@held-${TAG}`, 'query-status']);
    expect(h.code).toBe(3);
    expect(h.stderr).toMatch(new RegExp(`its QMP monitor ${sock('h.qmp')} is held by .+ \\(pid ${process.pid}\\)`));
    const lv = await runCli([`@lv-${TAG}`, 'query-status']);
    expect(lv.code).toBe(3);
    expect(lv.stderr).toMatch(new RegExp(`its QMP monitor ${sock('libvirt/m.sock')} is held by .+ \\(pid ${process.pid}\\).*use virsh qemu-monitor-command lv-${TAG} '\\{"execute": "query-status"\\}'`));
    const hmp = await runCli([`@hmp-${TAG}`, 'query-status']);
    expect(hmp.code).toBe(3);
    expect(hmp.stderr).toMatch(/has no QMP monitor .*start it with -qmp unix:/);
    for (const r of [unknown, dup, h, lv, hmp]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a stopped QEMU (SIGSTOP): ps says so, and @NAME says how to resume it (exit 5)', async () => {
    process.kill(daemonPid as number, 'SIGSTOP');
    try {
      // A signal is delivered after kill() returns: wait until the kernel shows it stopped.
      const stat = () => readFileSync(`/proc/${daemonPid}/stat`, 'utf8');
      while (!/\) [Tt] /.test(stat())) await new Promise((r) => setTimeout(r, 10));
      const vm = byName(mine((await runCli(['ps', `@daemon-${TAG}`, '--status'])).stdout), `daemon-${TAG}`);
      expect(vm).toMatchObject({ process: 'stopped', status: '(stopped)' });
      const r = await runCli([`@daemon-${TAG}`, 'query-status', '--connect-timeout', '1']);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(new RegExp(`is stopped; resume it with kill -CONT ${daemonPid}`));
    } finally {
      process.kill(daemonPid as number, 'SIGCONT');
    }
  });

  it('scripts and the interactive shell take @NAME', async () => {
    const script = await runCli([`@web1-${TAG}`], { input: 'query-name\n' });
    expect(script.stdout).toContain(`"name":"web1-${TAG}"`);
    const env = await runCli(['query-name'], { env: { QMPSH_TARGET: `@web2-${TAG}` } });
    expect(env.stdout).toContain(`"name":"web2-${TAG}"`);
    requireTmux();
    const t = Tmux.start([...CLI, `@web1-${TAG}`], { NO_COLOR: '1', TERM: 'xterm-256color' }, 160, 30);
    try {
      // The prompt calls it by its name.
      await t.waitFor(new RegExp(`^@web1-${TAG} \\[running\\]> ?$`, 'm'));
      t.type('query-name');
      t.keys('Enter');
      await t.waitFor(new RegExp(`"name": "web1-${TAG}"`));
      t.type('.exit');
      t.keys('Enter');
      expect(await t.exitCode()).toBe(0);
    } finally {
      t.close();
    }
  });
});

describe('across nodes: ssh://HOST (the local sshd)', () => {
  it('ps ssh://HOST lists the node\'s VMs, and ssh://HOST/@NAME reaches one; a fan-out by name logs in once', async () => {
    const sshd = await startSshd();
    try {
      // Records each ssh call's words, then runs the real ssh.
      const log = sock('ssh-calls');
      const wrapper = sock('ssh');
      writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\necho >> '${log}'\nexec ssh "$@"\n`);
      chmodSync(wrapper, 0o755);
      const env = { QMPSH_SSH: sshd.sshCommand.replace(/^ssh\b/, wrapper) };
      const logins = () => readFileSync(log, 'utf8').split('\n\n').filter((c) => c.split('\n').includes('-M')).length;

      const ps = await runCli(['ps', `ssh://${sshd.host}`, `@*-${TAG}`, '--status'], { env });
      expect(ps.code, ps.stderr).toBe(0);
      const vms = mine(ps.stdout);
      expect(vms).toHaveLength(11); // every named one (qemu-storage-daemon has no name)
      // libvirt's fd-passed socket, through the remote dump's `ls -l /proc/PID/fd`.
      expect(byName(vms, `lv-${TAG}`).monitors).toMatchObject([{ address: sock('libvirt/m.sock'), state: 'held' }]);
      expect(byName(vms, `web1-${TAG}`)).toMatchObject({ host: `ssh://${sshd.host}`, target: `ssh://${sshd.host}/@web1-${TAG}`, status: 'running' });
      expect(byName(vms, `held-${TAG}`).monitors[0]).toMatchObject({ state: 'held', holder: { pid: process.pid } });
      expect(byName(vms, `vm ünï ☃,x-${TAG}`)).toBeDefined();
      expect(logins()).toBe(1);

      const one = await runCli([`ssh://${sshd.host}/@web1-${TAG}`, 'query-status'], { env });
      expect(one.code, one.stderr).toBe(0);
      expect(JSON.parse(one.stdout)).toMatchObject({ status: 'running' });
      expect(logins()).toBe(2);

      const fan = await runCli([`ssh://${sshd.host}/@web?-${TAG}`, 'query-name'], { env });
      expect(fan.code, fan.stderr).toBe(0);
      expect(fan.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { target: string }).target)).toEqual([
        `ssh://${sshd.host}/@web1-${TAG}`,
        `ssh://${sshd.host}/@web2-${TAG}`,
      ]);
      // The listing and both tunnels: one login.
      expect(logins()).toBe(3);

      const unknown = await runCli([`ssh://${sshd.host}/@nosuch-${TAG}`, 'query-status'], { env });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(new RegExp(`^qmpsh: no VM named 'nosuch-${TAG}' on ${sshd.host}`));
    } finally {
      sshd.stop();
    }
  }, 60_000);
});
