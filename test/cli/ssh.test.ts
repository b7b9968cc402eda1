/** ssh:// targets through a real sshd on 127.0.0.1, to a local QEMU. */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
const tunnels = () => readdirSync(tmpdir()).filter((n) => n.startsWith('qmpsh-ssh-'));

describe('ssh:// targets', () => {
  it('runs a command on a remote socket and cleans up the tunnel', async () => {
    const before = tunnels();
    const r = await viaSsh([`ssh://${sshd.host}${qemu.sock}`, 'query-status']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running' });
    expect(tunnels()).toEqual(before);
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
