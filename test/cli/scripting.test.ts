/** Batch mode, events, --log, --read-only, --wait-socket, QMPSH_TARGET: against a real QEMU. */
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, constants, existsSync, lstatSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli-child.js';
import { QEMU_BINARY, startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI_SHELL, runCli } from '../helpers/run-cli.js';

let qemu: Qemu;
let monitorA: string;
let monitorB: string;
let dir: string;
beforeAll(async () => {
  qemu = await startQemu({ monitors: ['plain', 'plain'] });
  [monitorA, monitorB] = qemu.sockets as [string, string];
  dir = mkdtempSync(join(tmpdir(), 'qmpsh-scripting-'));
});
afterAll(async () => {
  await qemu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function status(): Promise<string> {
  const r = await runCli([monitorB, 'query-status']);
  return (JSON.parse(r.stdout) as { status: string }).status;
}

describe('batch mode', () => {
  const script = [
    '# a comment, then a blank line',
    '',
    'query-status',
    'stop',
    '{"execute": "human-monitor-command",',
    ' "arguments": {"command-line": "info status"}}',
    '!info status',
    'device_del id=nodev',
    'cont',
  ].join('\n');

  it('runs each line in order, one output line per command, and stops at the first failure', async () => {
    const r = await runCli([monitorA], { input: script });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0] as string)).toHaveProperty('status');
    expect(lines[1]).toBe('{}');
    expect(JSON.parse(lines[2] as string)).toMatch(/^VM status: paused/);
    expect(JSON.parse(lines[3] as string)).toMatch(/^VM status: paused/);
    expect(r.stderr).toMatch(/^qmpsh: line 8: DeviceNotFound: Device 'nodev' not found$/m);
    // `cont` after the failure never ran.
    expect(await status()).toBe('paused');
    await runCli([monitorB, 'cont']);
  });

  it('runs on with --keep-going and exits 1 at the end', async () => {
    const file = join(dir, 'script.qmp');
    writeFileSync(file, script);
    const r = await runCli([monitorA, '-f', file, '--keep-going']);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(5);
    expect(r.stderr).toMatch(/line 8: DeviceNotFound/);
    expect(r.stderr).toMatch(/1 command failed/);
    expect(await status()).toBe('running'); // cont ran
  });

  it('reports bad input with its line number and exit 2, sending nothing after it', async () => {
    const r = await runCli([monitorA], { input: 'query-status\nquery-status key=\nstop\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^qmpsh: line 2: 'key=' has no value/m);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(await status()).toBe('running');
  });

  it('pipes through jq', () => {
    const jq = spawnSync('bash', ['-c', `printf 'query-status\\nquery-version\\n' | ${CLI_SHELL} "${monitorA}" | jq -c .`], {
      encoding: 'utf8',
    });
    if (jq.stderr.includes('jq: command not found')) {
      // jq is optional on the machine; python's json.tool checks the same property.
      const py = spawnSync('bash', ['-c', `printf 'query-status\\nquery-version\\n' | ${CLI_SHELL} "${monitorA}" | python3 -c 'import sys,json;[json.loads(l) for l in sys.stdin];print("ok")'`], { encoding: 'utf8' });
      expect(py.stdout.trim()).toBe('ok');
      return;
    }
    expect(jq.status).toBe(0);
    expect(jq.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('handles thousands of commands in one session, in order', async () => {
    const n = 3000;
    const input = Array.from({ length: n }, (_, i) => (i % 100 === 50 ? 'query-version' : 'query-status')).join('\n');
    const r = await runCli([monitorA], { input });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(n);
    expect(lines[50]).toMatch(/"qemu"/);
    expect(lines[51]).toMatch(/"status"/);
  });

  it('prints every reply and event with --json', async () => {
    const r = await runCli([monitorA, '--json'], { input: 'stop\ncont\n' });
    expect(r.code).toBe(0);
    const kinds = r.stdout.trimEnd().split('\n').map((l) => {
      const m = JSON.parse(l) as Record<string, unknown>;
      return (m.event as string) ?? ('return' in m ? 'return' : 'other');
    });
    expect(kinds).toEqual(['STOP', 'return', 'RESUME', 'return']);
  });
});

describe('events', () => {
  it('--wait-event SHUTDOWN quit returns the event', async () => {
    const own = await startQemu();
    try {
      const r = await runCli([own.sock, '--wait-event', 'SHUTDOWN', '--match', 'data.reason=host-qmp-quit', 'quit']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ event: 'SHUTDOWN', data: { reason: 'host-qmp-quit' } });
    } finally {
      await own.stop();
    }
  });

  it('--wait-event without a COMMAND just waits for the event', async () => {
    const waiting = spawnCli([monitorA, '-v', '--wait-event', 'STOP', '--timeout', '20']);
    try {
      await waiting.negotiated();
      await runCli([monitorB, 'stop']);
      expect(await waiting.done).toBe(0);
      expect(JSON.parse(waiting.stdout())).toMatchObject({ event: 'STOP' });
    } finally {
      waiting.kill();
      await runCli([monitorB, 'cont']);
    }
  });

  it('--wait-event with a --match that never matches times out with exit 5', async () => {
    const r = await runCli([monitorA, '--wait-event', 'STOP', '--match', 'data.nope=1', '--timeout', '0.5', 'stop']);
    await runCli([monitorB, 'cont']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/event STOP with data.nope=1 did not arrive within 0.5s/);
  });

  it('--events --count 2 streams events caused through another monitor', async () => {
    const stream = spawnCli([monitorA, '-v', '--events', '--event', 'ST*', '--event', 'resume', '--count', '2', '--timeout', '20']);
    try {
      await stream.negotiated();
      await runCli([monitorB, 'stop']);
      await runCli([monitorB, 'cont']);
      expect(await stream.done).toBe(0);
      const events = stream.stdout().trimEnd().split('\n').map((l) => (JSON.parse(l) as { event: string }).event);
      expect(events).toEqual(['STOP', 'RESUME']);
    } finally {
      stream.kill();
    }
  });

  it('--events with --count exits 5 when --timeout passes first', async () => {
    const r = await runCli([monitorA, '--events', '--count', '1', '--event', 'NEVER', '--timeout', '0.3']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/0 of 1 events arrived within 0.3s/);
  });
});

describe('--log', () => {
  it('appends both directions as NDJSON to a file created 0600', async () => {
    const log = join(dir, 'wire.log');
    await runCli([monitorA, '--log', log, 'query-status']);
    await runCli([monitorA, '--log', log, 'stop']);
    await runCli([monitorB, 'cont']);
    expect(lstatSync(log).mode & 0o777).toBe(0o600);
    const entries = readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { time: string; dir: string; msg: Record<string, unknown> });
    expect(entries.filter((e) => e.msg.execute === 'qmp_capabilities')).toHaveLength(2);
    expect(entries.some((e) => e.dir === 'out' && e.msg.execute === 'stop')).toBe(true);
    expect(entries.some((e) => e.dir === 'in' && e.msg.event === 'STOP')).toBe(true);
    expect(entries.every((e) => !Number.isNaN(Date.parse(e.time)))).toBe(true);
  });

  it('masks passwords and secrets in --log and --verbose unless --show-secrets', async () => {
    const log = join(dir, 'secrets.log');
    const script = 'object-add qom-type=secret id=sec1 data=hunter2\nset_password protocol=vnc password=hunter3\n';
    const r = await runCli([monitorA, '--log', log, '-v', '--keep-going'], { input: script });
    expect(r.stdout).toMatch(/^\{\}$/m); // the secret object was created
    const seen = readFileSync(log, 'utf8') + r.stderr;
    expect(seen).not.toMatch(/hunter/);
    expect(seen).toMatch(/"data":"\*{8}"/);
    expect(seen).toMatch(/"password":"\*{8}"/);
    const shown = await runCli([monitorA, '-v', '--show-secrets', 'object-add', 'qom-type=secret', 'id=sec2', 'data=hunter4']);
    expect(shown.stderr).toMatch(/"data":"hunter4"/);
    await runCli([monitorA], { input: 'object-del id=sec1\nobject-del id=sec2\n' });
  });

  it('refuses to write through a symlink', async () => {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, '');
    const link = join(dir, 'link.log');
    symlinkSync(target, link);
    const r = await runCli([monitorA, '--log', link, 'query-status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/symlink/);
    expect(readFileSync(target, 'utf8')).toBe('');
  });
});

describe('--log refuses a file that is not a private regular file of ours, before connecting', () => {
  const refused = async (log: string, message: RegExp) => {
    // A hang (a FIFO without a reader blocks a plain open) is a kill, not a pass.
    const r = await runCli([monitorA, '--log', log, 'query-status'], { killAfterMs: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  };

  it('a FIFO without a reader (which would block the open)', async () => {
    const fifo = join(dir, 'nobody-reads.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await refused(fifo, /^qmpsh: cannot open the log file .*nobody-reads\.fifo: it is a FIFO, not a regular file/);
  });

  it('a FIFO with a reader (which would get the log)', async () => {
    const fifo = join(dir, 'someone-reads.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await refused(fifo, /it is a FIFO, not a regular file/);
    } finally {
      closeSync(reader);
    }
  });

  it('a character device', async () => {
    await refused('/dev/null', /it is a character device, not a regular file/);
  });

  it('an existing file others may read (0644): left as it was', async () => {
    const log = join(dir, 'readable.log');
    writeFileSync(log, 'before\n', { mode: 0o644 });
    await refused(log, /other users may read or write it \(mode 0644\).*chmod 600/);
    expect(readFileSync(log, 'utf8')).toBe('before\n');
    expect(lstatSync(log).mode & 0o777).toBe(0o644);
  });

  it("a file of another user's, even 0600: left as it was", async () => {
    // The suite runs as root (sshd needs it too): a file of uid 65534 (nobody).
    expect(process.getuid?.()).toBe(0);
    const log = join(dir, 'foreign.log');
    writeFileSync(log, 'theirs\n', { mode: 0o600 });
    chownSync(log, 65534, 65534);
    await refused(log, /it belongs to another user \(uid 65534\)/);
    expect(readFileSync(log, 'utf8')).toBe('theirs\n');
  });

  it('a private file of ours is appended to', async () => {
    const log = join(dir, 'private.log');
    writeFileSync(log, '', { mode: 0o600 });
    expect((await runCli([monitorA, '--log', log, 'query-status'])).code).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(/"execute":"query-status"/);
  });
});

describe('--read-only', () => {
  it('refuses stop, sending nothing: the VM keeps running', async () => {
    const log = join(dir, 'ro.log');
    const r = await runCli([monitorA, '--read-only', '--log', log, 'stop']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^qmpsh: --read-only: refused 'stop'/);
    expect(await status()).toBe('running');
    // Refused before connecting: not even a session was opened.
    expect(existsSync(log)).toBe(false);
  });

  it('allows query-*, qom-list and HMP info; refuses other HMP', async () => {
    expect((await runCli([monitorA, '--read-only', 'query-status'])).code).toBe(0);
    expect((await runCli([monitorA, '--read-only', 'qom-list', 'path=/'])).code).toBe(0);
    expect((await runCli([monitorA, '--read-only', '--hmp', 'info status'])).code).toBe(0);
    const r = await runCli([monitorA, '--read-only', '--hmp', 'stop']);
    expect(r.code).toBe(2);
    expect(await status()).toBe('running');
  });
});

describe('connecting', () => {
  it('--wait-socket waits for a QEMU started a second later', async () => {
    const sockDir = mkdtempSync(join(tmpdir(), 'qmpsh-wait-'));
    const sock = join(sockDir, 'late.sock');
    const pending = runCli([sock, '--wait-socket', '10', 'query-status']);
    await new Promise((r) => setTimeout(r, 1000));
    const { spawn: spawnQemu } = await import('node:child_process');
    const late = spawnQemu(QEMU_BINARY, ['-M', 'none', '-nodefaults', '-display', 'none', '-qmp', `unix:${sock},server=on,wait=off`], { stdio: 'ignore' });
    try {
      const r = await pending;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toHaveProperty('status');
    } finally {
      late.kill('SIGKILL');
      rmSync(sockDir, { recursive: true, force: true });
    }
  });

  it('uses QMPSH_TARGET when no TARGET is given', async () => {
    const r = await runCli(['query-status'], { env: { QMPSH_TARGET: monitorA } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('status');
    const both = await runCli([monitorA, 'query-status'], { env: { QMPSH_TARGET: '/nonexistent.sock' } });
    expect(both.code).toBe(0);
  });
});
