/**
 * The mode is decided once: every combination either works or is refused
 * before connecting (exit 2, saying why), never silently ignored; and the
 * modes that naturally span several targets do so, each line tagged with its
 * target. Globs have the shell's meaning.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli-child.js';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { runCli } from '../helpers/run-cli.js';

let a: Qemu;
let b: Qemu;
let dir: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  [a, b] = await Promise.all([startQemu({ monitors: ['plain', 'plain'] }), startQemu({ monitors: ['plain', 'plain'] })]);
  dir = mkdtempSync(join(tmpdir(), 'qmpsh-modes-'));
  symlinkSync(a.sock, join(dir, 'a.qmp'));
  symlinkSync(b.sock, join(dir, 'b.qmp'));
  // A socket whose name is itself a glob.
  symlinkSync(a.sock, join(dir, 'vm[1].qmp'));
  for (const q of [a, b]) {
    for (const node of ['src', 'dst']) {
      const r = await runCli([q.sockets[1] as string, 'blockdev-add', 'driver=null-co', `node-name=${node}`, `size=${8 * MiB}`]);
      expect(r.code).toBe(0);
    }
  }
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const lines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

describe('refused before connecting (exit 2, one line), never ignored', () => {
  // A socket that does not exist: connecting would be exit 3.
  const NOWHERE = '/nonexistent/vm.qmp';
  it.each([
    [['--table', '--events'], /--table does not apply to --events/],
    [['--until-done', 'query-status'], /--until-done does not apply to a one-shot COMMAND/],
    [['--complete', 'query-status'], /--complete does not apply to a one-shot COMMAND.*--wait/],
    [['--count', '1', 'query-status'], /--count does not apply/],
    [['--keep', 'query-status'], /--keep applies to --launch only/],
    [['--parallel', '2', 'query-status'], /--parallel <n> applies only with several targets/],
    [['--events', '--jobs'], /--events and --jobs are different modes/],
    [['--describe', '--wait', 'query-status'], /different modes/],
    [['-f', '/dev/null', '--wait-event', 'STOP'], /--file does not apply to --wait-event/],
    [['--agent', '--events'], /--agent does not apply to --events/],
    [['--pretty', '--compact', 'query-status'], /either --pretty or --compact/],
    [['--table', '--json', 'query-status'], /--table is its own output format/],
    [['--event', 'STOP', 'query-status'], /--event does not apply/],
    [['--match', 'data.x=1', 'query-status'], /--match does not apply/],
    [['--json', '--describe'], /--json does not apply to --describe/],
    [['--hmp', 'info status', '--wait'], /--hmp does not apply to --wait/],
    [['--timeout', '3000000', 'query-status'], /--timeout 3000000 is too long/],
    [['--timeout', '0.0004', 'query-status'], /below a millisecond/],
    [['--connect-timeout', '9999999', 'query-status'], /--connect-timeout 9999999 is too long/],
    [['--json', '--pretty', 'query-status'], /--json prints each message on one line/],
    [['--compact', '--hmp', 'info status'], /--compact does not apply to --hmp/],
    [['--no-validate', '--hmp', 'info status'], /--no-validate does not apply to --hmp/],
    [['--agent', '--hmp', 'info status'], /a guest agent has no human monitor/],
    [['--show-secrets', 'query-status'], /--show-secrets applies to what --log and -v show/],
    [['--read-only', '--hmp', 'i 0x60'], /--read-only: refused HMP 'i 0x60'/],
    [['query-jobs', '--wait'], /'query-jobs' starts neither: --wait follows drive-mirror, .*job-complete, .*migrate$/m],
    [['/nonexistent/b.qmp', 'query-jobs', '--wait'], /'query-jobs' starts neither/],
    [['{"execute": "query-status"}', '--wait'], /'query-status' starts neither/],
    [['constructor', '--wait'], /'constructor' starts neither/],
    [['/nonexistent/b.qmp', '--jobs', '--parallel', '1'], /--parallel does not apply to --jobs/],
    [['blockdev-backup', '--wait', '--json'], /--json does not apply to --wait: its final state is JSON already/],
    [['/nonexistent/b.qmp', 'blockdev-backup', '--wait', '--json'], /--json does not apply to --wait/],
  ])('%j', async (args, message) => {
    const r = await runCli([NOWHERE, ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^qmpsh: [^\n]+\n$/);
  });

  it('--wait takes a command that starts a job or a migration, also as a whole JSON request (then it connects)', async () => {
    for (const command of ['blockdev-backup', '{"execute": "blockdev-backup", "arguments": {"device": "src"}}', 'migrate', 'job-cancel']) {
      const r = await runCli([NOWHERE, command, '--wait']);
      expect(r.code, `${command}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(/no socket at/);
    }
  });

  it('--completion takes nothing else', async () => {
    const r = await runCli(['--completion', 'bash', NOWHERE]);
    expect(r.code).toBe(2);
  });

  it('--launch and --listen together', async () => {
    const r = await runCli(['--listen', join(dir, 'l.sock'), '--launch', 'query-status', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/either --launch or --listen/);
  });

  it('the interactive shell takes one target', async () => {
    // stdin not a terminal, no command: a script for each target (and an empty one is fine).
    const r = await runCli([a.sock, b.sock], { input: '' });
    expect(r.code).toBe(0);
  });
});

describe('the modes that span several targets', () => {
  it('--events: each line tagged with its target, --count per target', async () => {
    const run = spawnCli([a.sock, b.sock, '-v', '--events', '--event', 'STOP', '--count', '1', '--timeout', '20']);
    try {
      await run.negotiated(2);
      for (const q of [a, b]) {
        await runCli([q.sockets[1] as string, 'stop']);
        await runCli([q.sockets[1] as string, 'cont']);
      }
      expect(await run.done, run.stderr()).toBe(0);
      const out = lines(run.stdout());
      expect(out.map((l) => l.event)).toEqual(['STOP', 'STOP']);
      expect(new Set(out.map((l) => l.target))).toEqual(new Set([a.sock, b.sock]));
      expect(run.stderr().trimEnd().split('\n').at(-1)).toBe('qmpsh: 2 of 2 targets succeeded');
    } finally {
      run.kill();
    }
  });

  it('--describe: each target describes from its own schema', async () => {
    const r = await runCli([a.sock, b.sock, '--describe', 'query-status']);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((l) => l.target)).toEqual([a.sock, b.sock]);
    for (const l of out) expect(l.return).toMatch(/query-status\s+\(command\)/);
  });

  it('--wait: a job on each target, followed to its end; progress lines tagged', async () => {
    const r = await runCli([a.sock, b.sock, 'blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=fan1', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((l) => l.target)).toEqual([a.sock, b.sock]);
    for (const l of out) expect(l.return).toMatchObject({ id: 'fan1', status: 'concluded', dismissed: true });
    const progress = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(new Set(progress.map((p) => p.target))).toEqual(new Set([a.sock, b.sock]));
  });

  it('--wait: a target whose job fails, or never starts, is an error line with no "return"', async () => {
    const never = await runCli([a.sock, b.sock, 'blockdev-backup', 'device=nosuch', 'target=dst', 'sync=full', '--wait']);
    const failed = await runCli([a.sock, b.sock, 'blockdev-create', 'job-id=fanc', 'options:={"driver":"file","filename":"/nonexistent-dir/x.img","size":1048576}', '--wait']);
    for (const [r, error] of [
      [never, { code: 'QMP_COMMAND_ERROR', class: 'GenericError' }],
      [failed, { code: 'QMP_COMMAND_ERROR', class: 'JobFailed', message: expect.stringMatching(/job fanc: Could not create/) }],
    ] as const) {
      expect(r.code, r.stderr).toBe(1);
      const out = lines(r.stdout);
      expect(out.map((l) => l.target)).toEqual([a.sock, b.sock]);
      for (const l of out) {
        expect(l).toMatchObject({ error });
        expect(l).not.toHaveProperty('return');
      }
    }
  });

  it('--pretty: a block per target, indented, also when stdout is not a terminal', async () => {
    const r = await runCli([a.sock, b.sock, 'query-status', '--pretty']);
    expect(r.code, r.stderr).toBe(0);
    const blocks = r.stdout.split(/^== /m).slice(1);
    expect(blocks.map((b) => b.split('\n')[0])).toEqual([a.sock, b.sock]);
    for (const block of blocks) {
      const value = block.slice(block.indexOf('\n') + 1);
      expect(value).toMatch(/^{\n  "status": "running",\n/);
      expect(JSON.parse(value)).toMatchObject({ status: 'running' });
    }
    expect(r.stderr).toBe('qmpsh: 2 of 2 targets succeeded\n');
    // Without it, a pipe gets NDJSON.
    expect(lines((await runCli([a.sock, b.sock, 'query-status'])).stdout).map((l) => l.target)).toEqual([a.sock, b.sock]);
  });

  it('--jobs: snapshots tagged with their target', async () => {
    const r = await runCli([a.sock, b.sock, '--jobs', '--until-done']);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(new Set(out.map((l) => l.target))).toEqual(new Set([a.sock, b.sock]));
    for (const l of out) expect(l).toMatchObject({ jobs: [], migration: expect.any(Object) });
  });

  it('--jobs: a target that is missing or busy is its own error line; the summary and the worst exit code as every fan-out', async () => {
    // QEMU serves one client per monitor: holding a's second one makes it busy.
    const held = connect(a.sockets[1] as string);
    await new Promise((resolve) => held.once('connect', resolve));
    try {
      const missing = '/nonexistent/vm.qmp';
      const r = await runCli([a.sock, a.sockets[1] as string, missing, '--jobs', '--until-done', '--connect-timeout', '1']);
      expect(r.code, r.stderr).toBe(3);
      const out = lines(r.stdout);
      expect(out.find((l) => l.target === missing)).toMatchObject({ error: { code: 'QMP_CONNECT_FAILED' } });
      expect(out.find((l) => l.target === a.sockets[1])).toMatchObject({ error: { code: 'QMP_MONITOR_BUSY' } });
      expect(out.find((l) => l.target === a.sock)).toMatchObject({ jobs: [], migration: expect.any(Object) });
      for (const l of out) expect(l.error === undefined || l.jobs === undefined).toBe(true);
      expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
        `qmpsh: 1 of 3 targets succeeded; failed: ${a.sockets[1]} (QMP_MONITOR_BUSY), ${missing} (QMP_CONNECT_FAILED)`,
      );
    } finally {
      held.destroy();
    }
    // One target: that failure is the error, as before.
    const one = await runCli(['/nonexistent/vm.qmp', '--jobs', '--until-done']);
    expect(one.code).toBe(3);
    expect(one.stderr).toMatch(/^qmpsh: no socket at \/nonexistent\/vm\.qmp/);
  });

  it('--wait-event with --read-only refuses a command for every target, before any is touched', async () => {
    const r = await runCli([a.sock, b.sock, '--read-only', '--wait-event', 'STOP', 'stop']);
    expect(r.code).toBe(2);
    for (const q of [a, b]) expect(JSON.parse((await runCli([q.sockets[1] as string, 'query-status'])).stdout).status).toBe('running');
  });
});

describe('targets named as they are', () => {
  it('sockets in the current directory fan out like paths', async () => {
    const r = await runCli(['a.qmp', 'b.qmp', 'query-status'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout).map((l) => l.target)).toEqual(['a.qmp', 'b.qmp']);
    const script = await runCli(['a.qmp', 'b.qmp'], { cwd: dir, input: 'query-status\n' });
    expect(script.code, script.stderr).toBe(0);
    expect(lines(script.stdout).map((l) => l.target)).toEqual(['a.qmp', 'b.qmp']);
  });
});

describe('globs have the shell\'s meaning', () => {
  it('[!a] excludes a.qmp', async () => {
    const r = await runCli([join(dir, '[!a].qmp'), 'query-status']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((l) => l.target)).toEqual([join(dir, 'b.qmp')]);
  });
  it('[ab] and ? and * select as bash does', async () => {
    for (const pattern of ['[ab].qmp', '?.qmp', '[a-b].qmp', '[^c].qmp']) {
      const r = await runCli([join(dir, pattern), 'query-status']);
      expect(lines(r.stdout).map((l) => l.target), pattern).toEqual([join(dir, 'a.qmp'), join(dir, 'b.qmp')]);
    }
  });
  it('a socket named like a glob is reachable: as it is, and as unix:', async () => {
    for (const target of [join(dir, 'vm[1].qmp'), `unix:${join(dir, 'vm[1].qmp')}`]) {
      const r = await runCli([target, 'query-status']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running' });
    }
  });
  it('backslash escapes without a glob mean the name the shell would make of them', async () => {
    const r = await runCli([join(dir, 'vm\\[1\\].qmp'), 'query-status']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running' });
    // Completion takes it the same way (the shell passes the backslashes, quoted).
    const c = await runCli(['--_complete', `qmpsh '${join(dir, 'vm\\[1\\].qmp')}' query-sta`]);
    expect(c.stdout.split('\n')).toContain('query-status');
  });
  it('a glob is a target wherever it stands among them; completion agrees with parsing', async () => {
    for (const words of [['./a.qmp', '[b].qmp'], ['[b].qmp', './a.qmp'], ['./a.qmp', 'b.qmp']]) {
      const r = await runCli([...words, 'query-status'], { cwd: dir });
      expect(r.code, `${words}: ${r.stderr}`).toBe(0);
      expect(lines(r.stdout).map((l) => l.target).sort(), String(words)).toEqual(['./a.qmp', 'b.qmp']);
      const c = await runCli(['--_complete', `qmpsh ${words.join(' ')} query-sta`], { cwd: dir });
      expect(c.stdout.split('\n'), String(words)).toContain('query-status');
    }
  });
  it('a glob that matches nothing is that target\'s error', async () => {
    const r = await runCli([join(dir, 'zz*.qmp'), 'query-status']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/no socket matches/);
  });
});

describe('--events at the end of a VM', () => {
  it('SHUTDOWN then EOF is the normal end of the stream: exit 0', async () => {
    const q = await startQemu({ monitors: ['plain', 'plain'] });
    try {
      const run = spawnCli([q.sock, '-v', '--events']);
      try {
        await run.negotiated();
        await runCli([q.sockets[1] as string, 'quit']);
        expect(await run.done).toBe(0);
        expect(lines(run.stdout()).map((l) => l.event)).toContain('SHUTDOWN');
      } finally {
        run.kill();
      }
    } finally {
      await q.stop();
    }
  });

  it('without SHUTDOWN, EOF is a lost connection: exit 4', async () => {
    const q = await startQemu();
    const run = spawnCli([q.sock, '-v', '--events']);
    try {
      await run.negotiated();
      q.proc.kill('SIGKILL');
      expect(await run.done).toBe(4);
    } finally {
      run.kill();
      await q.stop();
    }
  });
});

describe('--describe', () => {
  it('shows what a command returns, member by member, and every feature', async () => {
    const r = await runCli([a.sock, '--describe', 'query-status']);
    expect(r.stdout).toMatch(/returns: object\n\s+running\s+bool/);
    const add = await runCli([a.sock, '--describe', 'device_add']);
    expect(add.stdout).toMatch(/^device_add \[.*json-cli.*\]/);
  });
});

describe('fan-out placeholders', () => {
  it('{name} and {target} are filled in per target, in one-shots and scripts', async () => {
    const named = await Promise.all(['web1', 'web2'].map((n) => startQemu({ args: ['-name', n] })));
    try {
      const socks = named.map((q) => q.sock);
      const r = await runCli([...socks, 'migrate-set-parameters', 'tls-hostname={name}@{target}']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const script = await runCli(socks, { input: 'migrate-set-parameters tls-authz={name}\n' });
      expect(script.code, script.stdout + script.stderr).toBe(0);
      for (const [i, q] of named.entries()) {
        const params = JSON.parse((await runCli([q.sock, 'query-migrate-parameters'])).stdout);
        expect(params['tls-hostname']).toBe(`web${i + 1}@${q.sock}`);
        expect(params['tls-authz']).toBe(`web${i + 1}`);
      }
    } finally {
      await Promise.all(named.map((q) => q.stop()));
    }
  });
});

describe('-q', () => {
  it('one-shots and fan-out show their own events on stderr unless -q', async () => {
    for (const targets of [[a.sock], [a.sock, b.sock]]) {
      const loud = await runCli([...targets, 'stop']);
      expect(loud.stderr).toMatch(/event STOP/);
      await runCli([...targets, 'cont', '-q']);
      const quiet = await runCli([...targets, 'stop', '-q']);
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).not.toMatch(/event/);
      await runCli([...targets, 'cont', '-q']);
    }
  });
});
