/** ssh:// targets through a real sshd on 127.0.0.1, to a local QEMU. */
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { runCli } from '../helpers/run-cli.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';

let qemu: Qemu;
let sshd: Sshd;
beforeAll(async () => {
  // Twelve monitors on one QEMU: a node with a dozen sockets.
  qemu = await startQemu({ monitors: Array.from({ length: 12 }, () => 'plain' as const) });
  sshd = await startSshd();
});
afterAll(async () => {
  sshd?.stop();
  await qemu?.stop();
});

const viaSsh = (args: string[]) => runCli(args, { env: { QMPSH_SSH: sshd.sshCommand } });

describe('ssh:// targets', () => {
  it('runs a command on a remote socket and cleans up the tunnel', async () => {
    // Its own $TMPDIR: other test files open tunnels in the shared one meanwhile.
    const own = mkdtempSync(join(tmpdir(), 'qmpsh-ssh-test-'));
    try {
      const r = await runCli([`ssh://${sshd.host}${qemu.sock}`, 'query-status'], { env: { QMPSH_SSH: sshd.sshCommand, TMPDIR: own } });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running' });
      expect(readdirSync(own)).toEqual([]);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('expands a glob on the remote side and reaches a dozen sockets over one login (sshd defaults: MaxStartups 10)', async () => {
    const r = await viaSsh([`ssh://${sshd.host}${qemu.dir}/m*.sock`, 'query-status']);
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { target: string; return: unknown });
    expect(out.map((o) => o.target)).toEqual(
      Array.from({ length: 12 }, (_, i) => `ssh://${sshd.host}${qemu.dir}/m${i}.sock`).sort(),
    );
    expect(out.every((o) => o.return)).toBe(true);
    expect(r.stderr).toBe('qmpsh: 12 of 12 targets succeeded\n');
  });

  it('a remote glob logs in once: the listing and the tunnels share the master', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmpsh-sshglob-'));
    try {
      const log = join(dir, 'calls');
      const wrapper = join(dir, 'ssh');
      writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\necho >> '${log}'\nexec ssh "$@"\n`, { mode: 0o755 });
      const r = await runCli([`ssh://${sshd.host}${qemu.dir}/m1*.sock`, 'query-status'], { env: { QMPSH_SSH: sshd.sshCommand.replace(/^ssh\b/, wrapper) } });
      expect(r.code, r.stderr).toBe(0);
      const calls = readFileSync(log, 'utf8').split('\n\n').filter((c) => c.trim()).map((c) => c.split('\n').filter(Boolean));
      expect(calls.filter((c) => c.includes('-M'))).toHaveLength(1);
      const ls = calls.find((c) => c.some((w) => w.startsWith('ls -1d')));
      expect(ls).toContain('-S');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a remote glob on a host that cannot be reached is that target\'s error, exit 3', async () => {
    const r = await viaSsh(['ssh://127.0.0.1:1/run/*.sock', 'query-status']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ target: 'ssh://127.0.0.1:1/run/*.sock', error: { message: expect.stringMatching(/^cannot reach 127\.0\.0\.1 over ssh/) } });
  });

  it.each([
    ['authentication failure', () => `ssh://${sshd.badHost}${qemu.sock}`, /^qmpsh: ssh to qmpsh-test-badkey: authentication failed \(.*Permission denied/],
    ['an unreachable host', () => 'ssh://127.0.0.1:1/x.sock', /^qmpsh: cannot reach 127\.0\.0\.1 over ssh \(.*Connection refused/],
    ['no socket on the remote side', () => `ssh://${sshd.host}/nonexistent/q.sock`, /^qmpsh: no QMP socket at \/nonexistent\/q\.sock on qmpsh-test/],
  ])('%s is exit 3 with one clear line', async (_name, target, message) => {
    const r = await viaSsh([target(), 'query-status']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('ssh:// hosts that ssh would read as options', () => {
  it.each([
    ['a user that is an option', 'ssh://-oProxyCommand=touch pwned@h/q.sock'],
    ['a host that is an option', 'ssh://-oProxyCommand=touch pwned/q.sock'],
    ['the [...] host form', 'ssh://[-oProxyCommand=touch pwned]/q.sock'],
  ])('%s is refused (exit 2) and runs nothing', async (_name, target) => {
    const dir = mkdtempSync(join(tmpdir(), 'qmpsh-sshopt-'));
    try {
      // The real ssh: were the word an option, ProxyCommand would create a file here.
      const r = await runCli([target, 'query-status'], { cwd: dir, env: { QMPSH_SSH: 'ssh' } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^qmpsh: bad ssh target .*: the (host|user) starts with '-'/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every ssh call puts -- right before the destination (login, forward, remote glob, remote check)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmpsh-sshrec-'));
    try {
      const log = join(dir, 'calls');
      const wrapper = join(dir, 'ssh');
      // Records each call's words (one per line, a blank line between calls), then runs the real ssh.
      writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\necho >> '${log}'\nexec ssh "$@"\n`);
      chmodSync(wrapper, 0o755);
      const QMPSH_SSH = sshd.sshCommand.replace(/^ssh\b/, wrapper);
      const run = (args: string[]) => runCli(args, { env: { QMPSH_SSH } });
      expect((await run([`ssh://${sshd.host}${qemu.sock}`, 'query-status'])).code).toBe(0);
      expect((await run([`ssh://${sshd.host}${qemu.dir}/m1*.sock`, 'query-status'])).code).toBe(0);
      expect((await run([`ssh://${sshd.host}/nonexistent/q.sock`, 'query-status'])).code).toBe(3);
      expect(existsSync(log)).toBe(true);
      const calls = readFileSync(log, 'utf8').split('\n\n').filter((c) => c.trim()).map((c) => c.split('\n').filter(Boolean));
      // The master login, a forward per target, the remote glob (ls) and the remote socket check (test -S).
      expect(calls.some((c) => c.includes('-M'))).toBe(true);
      expect(calls.some((c) => c.includes('forward'))).toBe(true);
      expect(calls.some((c) => c.some((w) => w.startsWith('ls -1d')))).toBe(true);
      expect(calls.some((c) => c.some((w) => w.startsWith('test -S')))).toBe(true);
      for (const words of calls) {
        const at = words.indexOf(sshd.host);
        expect(at, words.join(' ')).toBeGreaterThan(0);
        expect(words[at - 1], words.join(' ')).toBe('--');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
