/**
 * A real OpenSSH server on 127.0.0.1 and a spare port, with a host key and a
 * user key made for the test, and an ssh_config naming it `qmpsh-test`
 * (qmpsh is pointed at it with QMPSH_SSH="ssh -F CONFIG"). Needs root (sshd's
 * privilege separation) and Debian's openssh-server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './qemu.js';

export interface Sshd {
  /** QMPSH_SSH for qmpsh: ssh with this server's client config. */
  sshCommand: string;
  /** Host alias that logs in with a key the server does not accept. */
  badHost: string;
  host: string;
  port: number;
  stop(): void;
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'qmpsh-sshd-'));
  const key = (name: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  key('host_key');
  key('user_key');
  key('other_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')), { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'AllowStreamLocalForwarding yes',
      'LogLevel ERROR',
    ].join('\n'),
  );
  const hostBlock = (alias: string, identity: string) =>
    [
      `Host ${alias}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      '  User root',
      `  IdentityFile ${join(dir, identity)}`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no',
      '  UserKnownHostsFile /dev/null',
      '  LogLevel ERROR',
    ].join('\n');
  writeFileSync(join(dir, 'ssh_config'), `${hostBlock('qmpsh-test', 'user_key')}\n${hostBlock('qmpsh-test-badkey', 'other_key')}\n`);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const sshd: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sshd.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (sshd.exitCode !== null) throw new Error(`sshd exited: ${log}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.createConnection({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`sshd did not listen: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    sshCommand: `ssh -F ${join(dir, 'ssh_config')}`,
    badHost: 'qmpsh-test-badkey',
    host: 'qmpsh-test',
    port,
    stop() {
      sshd.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
