/**
 * Every guarantee in every mode: each cross-cutting option through each mode,
 * against a real QEMU (and a scripted peer only for what QEMU will not do:
 * hostile text, silence). A mode the CLI gains, or a cross-cutting option the
 * option table gains, that is not in this matrix fails the first test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODE_KINDS, OPTIONS } from '../../src/cli/options/table.js';
import { fakeServer, type FakeConnection, type FakeServer } from '../helpers/fake-server.js';
import { QEMU_BINARY, startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI, type CliResult, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

/** The modes a user meets: the CLI's mode kinds, plus the ways targets come (fan-out, --launch). */
const MODES = [
  'oneshot',
  'batch',
  'repl',
  'fanout-oneshot',
  'fanout-script',
  'events',
  'wait-event',
  'wait',
  'jobs',
  'describe',
  'launch',
] as const;
type MatrixMode = (typeof MODES)[number];

/** The rows: cross-cutting guarantees, each checked in every mode below. */
const ROWS = ['read-only', 'log', 'verbose', 'timeout', 'no-color', 'agent', 'peer-text'] as const;

/**
 * Cross-cutting options tested elsewhere, and where. Each is honoured by the
 * one session factory (src/cli/core/session.ts), which every mode uses
 * (test/cli/structure.test.ts checks that no mode makes its own session).
 */
const ELSEWHERE: Record<string, string> = {
  'connect-timeout': 'test/cli/faults.test.ts (held monitor, stopped QEMU)',
  'max-message-size': 'test/hardening/hostile.test.ts (size cap)',
  'wait-socket': 'test/cli/scripting.test.ts (a socket that appears later)',
  'show-secrets': 'the log row here masks; test/unit/secrets.test.ts, test/hardening/secrets.test.ts',
  debug: 'test/cli/oneshot.test.ts (stack traces only with --debug)',
  launch: 'the launch column here; test/cli/launch-agent.test.ts',
  keep: 'test/cli/launch-agent.test.ts',
  listen: 'test/cli/launch-agent.test.ts',
  parallel: 'test/cli/fanout.test.ts',
};

describe('the matrix is complete', () => {
  it('covers every mode kind of the CLI', () => {
    for (const kind of MODE_KINDS) expect(MODES as readonly string[]).toContain(kind);
  });
  it('covers every cross-cutting option of the option table', () => {
    const crossCutting = OPTIONS.filter((o) => o.modes === undefined).map((o) => o.long);
    for (const name of crossCutting) {
      expect([...ROWS, ...Object.keys(ELSEWHERE)], `--${name} is cross-cutting: add it to the matrix`).toContain(name);
    }
  });
});

let a: Qemu;
let b: Qemu;
let dir: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  requireTmux();
  // Two monitors each: the second checks, from outside, what the first did.
  [a, b] = await Promise.all([startQemu({ monitors: ['plain', 'plain'] }), startQemu({ monitors: ['plain', 'plain'] })]);
  dir = mkdtempSync(join(tmpdir(), 'qmpsh-matrix-'));
  // Two null-co nodes for a block job (--wait).
  for (const node of ['src', 'dst']) {
    const r = await runCli([a.sockets[1] as string, 'blockdev-add', 'driver=null-co', `node-name=${node}`, `size=${4 * MiB}`]);
    expect(r.code).toBe(0);
  }
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const status = async (q: Qemu) => JSON.parse((await runCli([q.sockets[1] as string, 'query-status'])).stdout).status as string;

/** The REPL in a real terminal: type the lines, leave, and return what the screen showed. */
async function repl(args: string[], lines: string[], env: Record<string, string> = {}): Promise<CliResult & { title: string }> {
  const t = Tmux.start([...CLI, ...args], { NO_COLOR: '', TERM: 'xterm-256color', ...env }, 200, 50);
  try {
    await t.waitFor(/> ?$/m);
    for (const line of lines) {
      t.type(line);
      t.keys('Enter');
      if (/^(stop|quit)$/.test(line)) await t.waitFor(/\?|refused|error/);
      await new Promise((r) => setTimeout(r, 300));
      await t.waitFor(/> ?$/m);
    }
    t.type('.exit');
    t.keys('Enter');
    const code = await t.exitCode();
    return { code, signal: null, stdout: t.screenWithEscapes(), stderr: '', ms: 0, title: t.title() };
  } finally {
    t.close();
  }
}

/**
 * Runs MODE with the extra options, sending `command` (a read-only one, or one
 * that changes the VM) where the mode sends anything.
 */
async function run(
  mode: MatrixMode,
  extra: string[],
  command: 'read' | 'change' | 'hmp-change' = 'read',
  target: string = a.sock,
  env: Record<string, string> = {},
): Promise<CliResult> {
  const words = command === 'read' ? ['query-status'] : command === 'change' ? ['stop'] : ['--hmp', 'stop'];
  const line = command === 'read' ? 'query-status' : command === 'change' ? 'stop' : '!stop';
  const options = { env, killAfterMs: 20_000 };
  switch (mode) {
    case 'oneshot':
      return runCli([target, ...words, ...extra], options);
    case 'batch':
      return runCli([target, ...extra], { ...options, input: `${line}\n` });
    case 'repl':
      return repl([target, ...extra], [line], env);
    case 'fanout-oneshot':
      return runCli([target, b.sock, ...words, ...extra], options);
    case 'fanout-script':
      return runCli([target, b.sock, ...extra], { ...options, input: `${line}\n` });
    case 'events':
      // --timeout is the stream's length here; --count 1 ends it at the first event.
      return runCli([target, '--events', ...(extra.includes('--timeout') ? [] : ['--timeout', '1']), ...extra], options);
    case 'wait-event':
      return runCli([target, '--wait-event', command === 'read' ? 'NOTHING' : 'STOP', ...(command === 'read' ? ['--timeout', '0.5'] : []), ...words, ...extra], options);
    case 'wait':
      return runCli(
        [target, ...(command === 'read' ? ['blockdev-backup', 'device=src', 'target=dst', 'sync=full', `job-id=j${Date.now()}`] : ['blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=ro']), '--wait', ...extra],
        options,
      );
    case 'jobs':
      return runCli([target, '--jobs', '--until-done', ...extra], options);
    case 'describe':
      return runCli([target, '--describe', 'query-status', ...extra], options);
    case 'launch':
      return runCli(
        ['--launch', ...(command === 'read' ? ['query-status'] : words), ...extra, '--', QEMU_BINARY, '-M', 'none', '-nodefaults', '-display', 'none'],
        options,
      );
  }
}

const output = (r: CliResult) => r.stdout + r.stderr;

describe('--read-only', () => {
  // Modes where a user sends commands: a command that changes the VM is refused, exit 2, VM untouched.
  it.each(['oneshot', 'batch', 'repl', 'fanout-oneshot', 'fanout-script', 'wait-event', 'wait', 'launch'] as const)(
    '%s refuses what changes the VM, QMP and HMP alike',
    async (mode) => {
      for (const kind of ['change', 'hmp-change'] as const) {
        // --wait follows a job command: --hmp with it is refused whatever the line (modes.test.ts).
        if (kind === 'hmp-change' && mode === 'wait') continue;
        const r = await run(mode, ['--read-only'], kind);
        expect(output(r)).toMatch(/--read-only: refused/);
        if (mode !== 'repl') expect(r.code).toBe(2);
        expect(await status(a)).toBe('running');
        expect(await status(b)).toBe('running');
      }
    },
  );
  // Modes that send nothing of the user's: they run as without it.
  it.each(['events', 'jobs', 'describe'] as const)('%s runs under --read-only', async (mode) => {
    const r = await run(mode, ['--read-only']);
    expect(r.code).toBe(0);
  });
});

describe('--log', () => {
  it.each(MODES)('%s writes every message, 0600, secrets masked', async (mode) => {
    const log = join(dir, `${mode}.log`);
    const r = await run(mode, ['--log', log]);
    expect([0, 5], output(r)).toContain(r.code); // wait-event waits for an event that never comes: 5
    expect(statSync(log).mode & 0o777).toBe(0o600);
    const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records.some((m) => m.dir === 'out' && m.msg.execute === 'qmp_capabilities')).toBe(true);
    expect(records.some((m) => m.dir === 'in')).toBe(true);
    if (mode.startsWith('fanout')) {
      expect(new Set(records.map((m) => m.target))).toEqual(new Set([a.sock, b.sock]));
    }
  });

  it.each(['oneshot', 'batch', 'fanout-script'] as const)('%s masks a password in the log', async (mode) => {
    const log = join(dir, `secret-${mode}.log`);
    const args = mode === 'oneshot' ? [a.sock, 'change-vnc-password', 'password=hunter2'] : mode === 'batch' ? [a.sock] : [a.sock, b.sock];
    await runCli([...args, '--log', log], { input: 'change-vnc-password password=hunter2\n' });
    const text = readFileSync(log, 'utf8');
    expect(text).toContain('change-vnc-password');
    expect(text).not.toContain('hunter2');
  });
});

describe('-v', () => {
  it.each(MODES)('%s shows the wire on stderr', async (mode) => {
    const r = await run(mode, ['-v']);
    expect(output(r)).toMatch(/-> \{"execute":"qmp_capabilities"|-> \{"execute":"query-status"/);
    if (mode.startsWith('fanout')) expect(r.stderr).toContain(`[${b.sock}] ->`);
  });
});

describe('--no-color (with FORCE_COLOR=1)', () => {
  it.each(MODES)('%s prints no escape sequence at all', async (mode) => {
    const r = await run(mode, ['--no-color'], 'read', a.sock, { FORCE_COLOR: '1' });
    expect(output(r)).not.toMatch(/\x1b/);
  });
});

/** A monitor that negotiates, then never answers. */
async function silent(): Promise<FakeServer> {
  return fakeServer(
    async (conn) => {
      await conn.negotiate();
      await conn.closed;
    },
    { schema: 'silent' },
  );
}

describe('--timeout', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await silent();
  });
  afterAll(() => server.close());
  it.each(MODES.filter((m) => m !== 'launch' && m !== 'events' && m !== 'repl'))(
    '%s gives up on a silent monitor: exit 5, one line',
    async (mode) => {
      const r = await run(mode, ['--timeout', '0.4'], 'read', server.path, { XDG_CACHE_HOME: join(dir, 'cache-silent') });
      expect(r.code).toBe(5);
      expect(output(r)).toMatch(/within 0\.4s/);
    },
  );
  it('events: --timeout is the stream length, exit 0', async () => {
    const r = await run('events', ['--timeout', '0.4'], 'read', server.path);
    expect(r.code, output(r)).toBe(0);
  });
  it('repl: a command without a reply says so and the shell goes on', async () => {
    const r = await repl([server.path, '--timeout', '0.4'], ['query-status']);
    expect(r.stdout).toMatch(/no reply to 'query-status' within 0\.4s/);
  });
  // launch: a real QEMU always answers; its sessions come from the same
  // factory, checked by the --log and -v rows above.
});

describe('--agent', () => {
  let ga: ChildProcess;
  let gaSock: string;
  let gaSock2: string;
  let ga2: ChildProcess;
  const QEMU_GA = existsSync('/usr/sbin/qemu-ga') ? '/usr/sbin/qemu-ga' : 'qemu-ga';
  beforeAll(async () => {
    if (spawnSync(QEMU_GA, ['--version']).error) throw new Error('qemu-ga is needed: apt-get install qemu-guest-agent');
    const block = '--block-rpcs=guest-shutdown,guest-exec,guest-file-open,guest-set-time,guest-fsfreeze-freeze,guest-suspend-disk,guest-suspend-ram,guest-suspend-hybrid,guest-set-user-password';
    gaSock = join(dir, 'ga1.sock');
    gaSock2 = join(dir, 'ga2.sock');
    ga = spawn(QEMU_GA, ['-m', 'unix-listen', '-p', gaSock, block, '-t', dir], { stdio: 'ignore' });
    ga2 = spawn(QEMU_GA, ['-m', 'unix-listen', '-p', gaSock2, block, '-t', dir], { stdio: 'ignore' });
    while (!existsSync(gaSock) || !existsSync(gaSock2)) await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(() => {
    ga?.kill('SIGKILL');
    ga2?.kill('SIGKILL');
  });
  it.each(['oneshot', 'batch', 'fanout-oneshot', 'fanout-script'] as const)('%s talks to qemu-ga', async (mode) => {
    const args = { oneshot: [gaSock, 'guest-ping'], batch: [gaSock], 'fanout-oneshot': [gaSock, gaSock2, 'guest-ping'], 'fanout-script': [gaSock, gaSock2] }[mode];
    const r = await runCli(['--agent', ...args], { input: 'guest-ping\n' });
    expect(r.stderr).not.toMatch(/busy/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\{\}/);
  });
  it('repl talks to qemu-ga', async () => {
    const r = await repl(['--agent', gaSock], ['guest-ping']);
    expect(r.stdout).toMatch(/\{\}/);
    expect(r.code).toBe(0);
  });
  it('--read-only lets the agent\'s look-ups through and refuses the rest', async () => {
    const ok = await runCli(['--agent', '--read-only', gaSock, 'guest-get-timezone']);
    expect(ok.code, output(ok)).toBe(0);
    const r = await runCli(['--agent', '--read-only', gaSock, 'guest-shutdown']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused 'guest-shutdown'/);
  });
  it.each(['events', 'wait-event', 'wait', 'jobs', 'describe', 'launch'] as const)(
    '%s with --agent is refused before connecting, saying why',
    async (mode) => {
      const r = await run(mode, ['--agent'], 'read', gaSock);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^qmpsh: .*(agent|apply)/);
    },
  );
});

/** Text a hostile peer puts everywhere: OSC title, CSI clear, C1 CSI, bidi override, BEL. */
const EVIL = '\x1b]0;PWNED\x07\x1b[2J\u009b31m\u202e';
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/;

async function hostile(): Promise<FakeServer> {
  return fakeServer(
    async (conn: FakeConnection) => {
      let jobsAsked = 0;
      conn.send({ QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: `pkg${EVIL}` }, capabilities: [] } });
      for (;;) {
        const request = await conn.nextRequest();
        const reply = (value: unknown) => conn.reply(request, value);
        switch (request.execute) {
          case 'qmp_capabilities':
            reply({});
            conn.event(`EVIL${EVIL}`, { text: EVIL });
            break;
          case 'query-status':
            reply({ status: `running${EVIL}`, running: true });
            break;
          case 'query-commands':
            reply([{ name: 'query-status' }, { name: `query-x${EVIL}` }, { name: 'query-$(touch /tmp/qmpsh-PWNED)x' }]);
            break;
          case 'human-monitor-command':
            reply(`hmp${EVIL}\r\n`);
            break;
          case 'query-jobs':
            // Once: then --jobs --until-done sees nothing left and ends.
            if (jobsAsked++ > 0) reply([]);
            else reply([{ id: `job${EVIL}`, type: 'backup', status: `running${EVIL}`, 'current-progress': 1, 'total-progress': 2 }]);
            break;
          case 'query-migrate':
            reply({ status: `active${EVIL}`, ram: { total: 10, remaining: 5, transferred: 5 } });
            break;
          default:
            conn.send({ error: { class: 'GenericError', desc: `desc${EVIL}` }, id: request.id });
        }
      }
    },
    {
      schema: [
        { name: `query-status${EVIL}`, 'meta-type': 'command', 'arg-type': '0', 'ret-type': '0' },
        { name: 'query-status', 'meta-type': 'command', 'arg-type': '0', 'ret-type': '0' },
        { name: 'stop', 'meta-type': 'command', 'arg-type': '0', 'ret-type': '0' },
        { name: 'human-monitor-command', 'meta-type': 'command', 'arg-type': '2', 'ret-type': 'str' },
        { name: '2', 'meta-type': 'object', members: [{ name: 'command-line', type: 'str' }] },
        { name: '0', 'meta-type': 'object', members: [] },
        { name: 'blockdev-backup', 'meta-type': 'command', 'arg-type': '1', 'ret-type': '0' },
        {
          name: '1',
          'meta-type': 'object',
          members: ['device', 'target', 'sync', 'job-id'].map((name) => ({ name, type: 'str' })),
        },
        { name: 'str', 'meta-type': 'builtin', 'json-type': 'string' },
      ],
    },
  );
}

describe('peer text never reaches the terminal live', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await hostile();
  });
  afterAll(() => server.close());
  // The hostile schema must not poison the user's cache.
  const env = () => ({ XDG_CACHE_HOME: join(dir, 'cache-hostile') });
  it.each(MODES.filter((m) => m !== 'launch' && m !== 'repl'))('%s', async (mode) => {
    // Colour off (a pipe): then no escape sequence at all may come out.
    const r = mode === 'describe' ? await runCli([server.path, '--describe'], { env: env() }) : await run(mode, [], 'change', server.path, env());
    expect(output(r), JSON.stringify(output(r))).not.toMatch(UNSAFE);
    expect(output(r)).toMatch(/\\x1b|\\u001b|\\u009b/); // the text is there, visibly
  });
  it('repl: banner, prompt, events, replies, HMP text and errors', async () => {
    const r = await repl([server.path], ['query-status', '!info x', 'nosuch-command'], env());
    expect(r.title).not.toMatch(/PWNED/);
    expect(r.stdout.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(UNSAFE);
    expect(r.stdout).toMatch(/\\x1b\]0;PWNED/); // shown, not obeyed
  });
  it('with colour on, only our own SGR colours pass', async () => {
    const r = await runCli([server.path, 'query-status', '--pretty'], { env: { FORCE_COLOR: '1', ...env() } });
    const withoutSgr = output(r).replace(/\x1b\[[0-9;]*m/g, '');
    expect(withoutSgr).not.toMatch(UNSAFE);
  });
  it('--hmp text and error descriptions', async () => {
    for (const args of [['--hmp', 'info x'], ['nosuch-command']]) {
      const r = await runCli([server.path, ...args], { env: env() });
      expect(output(r)).not.toMatch(UNSAFE);
    }
  });
  it('the --table cells', async () => {
    const r = await runCli([server.path, server.path, 'query-status', '--table'], { env: env() });
    expect(output(r)).not.toMatch(UNSAFE);
    expect(r.stdout).toMatch(/running\\x1b/);
  });
  it('shell completion offers no name a shell would run or show live', async () => {
    for (const line of [`qmpsh ${server.path} `, `qmpsh ${server.path} query-`, `qmpsh ${server.path} --describe `]) {
      const r = await runCli(['--_complete', line], { env: env() });
      expect(r.stdout).not.toMatch(UNSAFE);
      for (const candidate of r.stdout.split('\n').filter(Boolean)) expect(candidate).toMatch(/^[A-Za-z0-9_.+:=,@/%~-]+$/);
      expect(r.stdout).toMatch(/query-status/); // the safe names are still offered
    }
  });
  it('REPL completion drops names with control characters; the title stays', async () => {
    requireTmux();
    const t = Tmux.start([...CLI, server.path], { NO_COLOR: '1', TERM: 'xterm-256color', ...env() }, 200, 50);
    try {
      await t.waitFor(/> ?$/m);
      // One Tab a keystroke: readline takes two in one read for a paste.
      t.type('que');
      t.keys('Tab');
      await t.waitFor(/> query-$/m);
      t.keys('Tab');
      await t.waitFor(/query-status/);
      t.keys('C-u');
      t.type('help query-');
      t.keys('Tab');
      await new Promise((r) => setTimeout(r, 300));
      t.keys('Tab');
      await new Promise((r) => setTimeout(r, 500));
      expect(t.title()).not.toMatch(/PWNED/);
      expect(t.screenWithEscapes().replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(UNSAFE);
    } finally {
      t.close();
    }
  });
  // launch starts a real QEMU, whose text is checked with a real QEMU in test/cli/inject.test.ts.
});
