/** The CLI as a child process against a real QEMU: stdout, stderr, exit code. */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdMonitor, startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI_SHELL, runCli } from '../helpers/run-cli.js';
import { QmpClient } from '../../src/session.js';
import { stringifyJson } from '../../src/protocol/json.js';

let qemu: Qemu;
beforeAll(async () => {
  qemu = await startQemu({ monitors: ['plain', 'pretty', 'plain'], tcp: true });
});
afterAll(async () => {
  await qemu?.stop();
});

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe('qmpsh TARGET COMMAND', () => {
  it('prints query-status as one compact JSON line and exits 0', async () => {
    const r = await runCli([qemu.sock, 'query-status']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(json(r.stdout)).toMatchObject({ status: expect.any(String), running: expect.any(Boolean) });
  });

  it('accepts unix: and --pretty, and --compact', async () => {
    const pretty = await runCli([`unix:${qemu.sock}`, 'query-version', '--pretty']);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/^\{\n {2}"qemu": \{\n/);
    expect(pretty.stdout).not.toMatch(/\x1b\[/); // not a terminal: no colour
    const compact = await runCli([qemu.sock, 'query-version', '--compact']);
    expect(json(compact.stdout)).toEqual(json(pretty.stdout));
  });

  it('colours only when asked: FORCE_COLOR on, NO_COLOR and --no-color off', async () => {
    const forced = await runCli([qemu.sock, 'query-version', '--pretty'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(/\x1b\[/);
    const noColorFlag = await runCli([qemu.sock, 'query-version', '--pretty', '--no-color'], { env: { FORCE_COLOR: '1' } });
    expect(noColorFlag.stdout).not.toMatch(/\x1b\[/);
    const noColorEnv = await runCli([qemu.sock, 'device_del', 'id=nodev'], { env: { NO_COLOR: '1' } });
    expect(noColorEnv.stderr).not.toMatch(/\x1b\[/);
  });

  it('shows STOP and RESUME on stderr, the return value alone on stdout', async () => {
    const stop = await runCli([qemu.sock, 'stop']);
    expect(stop).toMatchObject({ code: 0, stdout: '{}\n' });
    expect(stop.stderr).toMatch(/^event STOP \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    const cont = await runCli([qemu.sock, 'cont']);
    expect(cont).toMatchObject({ code: 0, stdout: '{}\n' });
    expect(cont.stderr).toMatch(/^event RESUME /);
  });

  it('prints every reply and event as received with --json', async () => {
    const r = await runCli([qemu.sock, '--json', 'stop']);
    await runCli([qemu.sock, 'cont']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map(json);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ event: 'STOP', timestamp: { seconds: expect.any(Number) } });
    expect(lines[1]).toMatchObject({ return: {}, id: expect.anything() });
  });

  it('shows the wire with -v on stderr, keeping stdout clean', async () => {
    const r = await runCli(['-v', qemu.sock, 'query-status']);
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toHaveProperty('status');
    expect(r.stderr).toMatch(/^<- \{"QMP":/m);
    expect(r.stderr).toMatch(/^-> \{"execute":"qmp_capabilities"/m);
    expect(r.stderr).toMatch(/^-> \{"execute":"query-status","id":\d+\}$/m);
  });

  it('exits 1 with CLASS: desc on stderr for a QMP error', async () => {
    const r = await runCli([qemu.sock, 'device_del', 'id=nodev']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe("qmpsh: DeviceNotFound: Device 'nodev' not found\n");
  });

  it('sends an unknown command as typed with --no-validate, and QEMU says CommandNotFound (exit 1)', async () => {
    const r = await runCli([qemu.sock, '--no-validate', 'no-such-command']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe('qmpsh: CommandNotFound: The command no-such-command has not been found\n');
  });

  it('sends key=value arguments typed as JSON or string, exact beyond 2^53', async () => {
    const set = await runCli([qemu.sock, 'migrate-set-parameters', 'max-bandwidth=18446744073709551615', 'tls-hostname=host 1']);
    expect(set.code).toBe(0);
    const got = await runCli([qemu.sock, 'query-migrate-parameters']);
    expect(got.stdout).toContain('"max-bandwidth":18446744073709551615');
    expect(got.stdout).toContain('"tls-hostname":"host 1"');
    await runCli([qemu.sock, 'migrate-set-parameters', 'max-bandwidth=134217728']);
  });

  it('takes a whole JSON request and --args', async () => {
    const r = await runCli([qemu.sock, '{"execute": "human-monitor-command", "arguments": {"command-line": "info status"}}']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatch(/^VM status/);
    const a = await runCli([qemu.sock, 'human-monitor-command', '--args', '{"command-line": "info version"}']);
    expect(a.code).toBe(0);
    const kv = await runCli([qemu.sock, 'human-monitor-command', 'command-line=info status']);
    expect(JSON.parse(kv.stdout)).toMatch(/^VM status/);
  });

  it('runs HMP with --hmp, printing its text, and exits 1 on HMP errors', async () => {
    const ok = await runCli([qemu.sock, '--hmp', 'info status']);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/^VM status: (running|paused)\n$/);
    const unknown = await runCli([qemu.sock, '--hmp', 'nosuch']);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toBe("qmpsh: HMP: unknown command: 'nosuch'\n");
    const error = await runCli([qemu.sock, '--hmp', 'device_del nodev']);
    expect(error.code).toBe(1);
    expect(error.stderr).toMatch(/Error: Device 'nodev' not found/);
  });

  it('passes query-qmp-schema intact through a pipe', async () => {
    const r = await runCli([qemu.sock, 'query-qmp-schema']);
    expect(r.code).toBe(0);
    const client = await QmpClient.connect(qemu.sock);
    const direct = await client.execute('query-qmp-schema');
    client.close();
    expect(r.stdout).toBe(`${stringifyJson(direct)}\n`);
    expect(r.stdout.length).toBeGreaterThan(150_000);
  });

  it('ends quietly when the reader goes away (| head -c)', () => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${CLI_SHELL} "${qemu.sock}" query-qmp-schema | head -c 10`], {
      encoding: 'utf8',
    });
    expect(r.stdout).toHaveLength(10);
    expect(r.stderr).toBe('');
  });

  it('works on a pretty=on monitor', async () => {
    const r = await runCli([qemu.sockets[1] as string, 'query-status']);
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toHaveProperty('status');
  });

  it('works over TCP', async () => {
    const r = await runCli([`tcp:127.0.0.1:${qemu.tcpPort}`, 'query-status']);
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toHaveProperty('status');
  });

  it('exits 3 "monitor busy" when another client holds the monitor', async () => {
    const holder = await holdMonitor(qemu.sockets[2] as string);
    try {
      const r = await runCli([qemu.sockets[2] as string, 'query-status', '--connect-timeout', '0.5']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^qmpsh: monitor busy: .*another client/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      holder.release();
    }
  });

  it('exits 3 with a hint for a wrong path and a refused TCP port', async () => {
    const missing = await runCli([`${qemu.dir}/nope.sock`, 'query-status']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^qmpsh: no socket at .*nope\.sock: check the path/);
    const refused = await runCli(['127.0.0.1:1', 'query-status']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/connection refused/);
  });
});

describe('usage errors: exit 2, one line, nothing sent', () => {
  it.each([
    [['SOCK', 'query-status', 'key='], /has no value/],
    [['SOCK', 'human-monitor-command', 'command-line=a', 'command-line=b'], /given twice/],
    [['SOCK', 'query-status', 'x={bad'], /not valid JSON/],
    [['SOCK', 'query-status', '--timeout', 'soon'], /--timeout wants a number/],
    [['SOCK', 'query-status', '--bogus'], /unknown option '--bogus'/],
    [['SOCK', 'query-status', '--hmp', 'info status'], /either --hmp/],
    [[], /no TARGET given/],
    [['SOCK', '--events', 'stop'], /--events streams events only/],
    [['SOCK', '--events', '--count', 'x'], /--count wants a whole number/],
    [['SOCK', '--wait-event', 'STOP', '--match', 'nopath', 'stop'], /--match: a match is PATH=VALUE/],
    [['SOCK', '-f', '/nonexistent/script'], /cannot read the script/],
  ])('%j', async (args, message) => {
    const r = await runCli(args.map((a) => (a === 'SOCK' ? qemu.sock : a)), { env: { NO_COLOR: '1' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^qmpsh: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lists the exit codes in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*3 +cannot connect[\s\S]*130 +interrupted/);
  });
});

describe('quit', () => {
  it('exits 0 and QEMU is gone', async () => {
    const own = await startQemu();
    try {
      const r = await runCli([own.sock, 'quit']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('{}\n');
      expect(r.stderr).toMatch(/event SHUTDOWN/);
      expect(await own.exited).toBe(0);
    } finally {
      await own.stop();
    }
  });
});
