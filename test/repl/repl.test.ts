/**
 * The REPL as a person uses it: in a real pseudo-terminal (tmux) against a
 * real QEMU with two monitors: A for the REPL, B to make events happen.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

let qemu: Qemu;
let stateHome: string;
const terminals: Tmux[] = [];

beforeAll(async () => {
  requireTmux();
  qemu = await startQemu({ monitors: ['plain', 'plain'] });
  stateHome = mkdtempSync(join(tmpdir(), 'qmpsh-state-'));
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
});
afterAll(async () => {
  await qemu?.stop();
  rmSync(stateHome, { recursive: true, force: true });
});

const [A, B] = [0, 1];
const sock = (i: number) => qemu.sockets[i] as string;

function repl(target = sock(A), extra: string[] = []): Tmux {
  const t = Tmux.start([...CLI, target, ...extra], { XDG_STATE_HOME: stateHome, TERM: 'xterm-256color' });
  terminals.push(t);
  return t;
}

const PROMPT = /m0\.sock \[(running|paused)\]>$/m;
/** What quits QEMU besides `quit` and `!q`: HMP's quit sent as QMP, and HMP mode. */
const QUIT_FORMS = [
  'human-monitor-command command-line=quit',
  'human-monitor-command command-line=q',
  '{"execute":"human-monitor-command","arguments":{"command-line":"quit"}}',
  '.hmp q',
];

describe('REPL', () => {
  it('shows a banner and a prompt with the run state, runs a command and shows the reply', async () => {
    const t = repl();
    await t.waitFor(/qmpsh .*: QEMU \d+\.\d+\.\d+/);
    await t.waitFor(/m0\.sock \[running\]>$/m);
    t.type('query-status');
    t.keys('Enter');
    const screen = await t.waitFor(/"status": "running"/);
    expect(screen).toMatch(/"running": true/);
    // A QMP error is shown as CLASS: desc and the REPL goes on.
    t.type('device_del id=nodev');
    t.keys('Enter');
    await t.waitFor(/DeviceNotFound: Device 'nodev' not found\n.*m0\.sock \[running\]>$/m);
    // Bad input too.
    t.type('query-status key=');
    t.keys('Enter');
    await t.waitFor(/'key=' has no value.*\n.*\[running\]>$/m);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  });

  it('completes command names from QEMU and its own commands with Tab', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('query-versi');
    t.keys('Tab');
    await t.waitFor(/> query-version$/m);
    t.keys('C-u');
    t.type('.he');
    t.keys('Tab');
    await t.waitFor(/> \.help$/m);
    t.keys('Enter');
    await t.waitFor(/qmpsh commands/);
    t.keys('C-d');
  });

  it('prints events above the prompt while idle, keeping the half-typed line and updating the state', async () => {
    const t = repl();
    await t.waitFor(/\[running\]>$/m);
    t.type('query-na');
    await t.waitFor(/> query-na$/m);
    expect((await runCli([sock(B), 'stop'])).code).toBe(0);
    const screen = await t.waitFor(/event STOP .*\n.*m0\.sock \[paused\]> query-na$/m);
    expect(screen).toMatch(/event STOP \d{4}-\d\d-\d\dT/);
    expect((await runCli([sock(B), 'cont'])).code).toBe(0);
    await t.waitFor(/event RESUME .*\n.*m0\.sock \[running\]> query-na$/m);
    // The line is intact: finishing it runs query-name.
    t.type('me');
    t.keys('Enter');
    await t.waitFor(/> query-name\n\{\}/m);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  });

  it('keeps history across restarts in a 0600 file; Up and Ctrl-R find it', async () => {
    const first = repl();
    await first.waitFor(PROMPT);
    first.type('object-add qom-type=secret id=hist-sec data=hunter2');
    first.keys('Enter');
    await first.waitFor(/data=hunter2\n\{\}/);
    first.type('query-kvm');
    first.keys('Enter');
    await first.waitFor(/"present": true/);
    first.keys('C-d');
    expect(await first.exitCode()).toBe(0);

    const file = join(stateHome, 'qmpsh', 'history');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toMatch(/hunter2/);
    expect(readFileSync(file, 'utf8')).toMatch(/^query-kvm$/m);

    const second = repl();
    await second.waitFor(PROMPT);
    second.keys('Up');
    await second.waitFor(/> query-kvm$/m);
    second.keys('C-u');
    second.type('query-status');
    second.keys('Enter');
    await second.waitFor(/"status"/);
    second.keys('C-r');
    second.type('kv');
    await second.waitFor(/\(reverse-i-search\)'kv': query-kvm$/m);
    second.keys('Enter');
    await second.waitFor(/query-kvm\n\{\n\s+"enabled": \w+,\n\s+"present": true/);
    second.keys('C-d');
    expect(await second.exitCode()).toBe(0);
  });

  it('Ctrl-C on an empty line hints at Ctrl-D; Ctrl-C clears a typed line', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.keys('C-c');
    await t.waitFor(/press Ctrl-D or type \.exit/);
    t.type('query-something');
    t.keys('C-c');
    await t.waitFor(/\[running\]>$/m);
    t.type('.exit');
    t.keys('Enter');
    expect(await t.exitCode()).toBe(0);
  });

  it('runs HMP with ! and in .hmp mode, showing HMP errors as errors', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('!info status');
    t.keys('Enter');
    await t.waitFor(/VM status: running/);
    t.type('.hmp');
    t.keys('Enter');
    await t.waitFor(/\(hmp\) m0\.sock \[running\]>$/m);
    t.type('nosuchcmd');
    t.keys('Enter');
    await t.waitFor(/HMP: unknown command: 'nosuchcmd'/);
    t.type('.qmp');
    t.keys('Enter');
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  });

  it('continues JSON pasted over several lines until it balances', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('{"execute": "human-monitor-command",');
    t.keys('Enter');
    await t.waitFor(/^\.\.\.$/m);
    t.type(' "arguments": {"command-line": "info version"}}');
    t.keys('Enter');
    await t.waitFor(/"\d+\.\d+\.\d+.*\\n"\n.*\[running\]>$/m);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  });

  it('completes HMP command names in HMP mode', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('.hmp');
    t.keys('Enter');
    await t.waitFor(/\(hmp\) m0\.sock \[running\]>$/m);
    t.type('info');
    t.keys('Tab');
    await new Promise((r) => setTimeout(r, 300)); // the first Tab loads HMP's `help`
    t.keys('C-u');
    t.type('system_po');
    t.keys('Tab');
    await t.waitFor(/> system_powerdown$/m);
    t.keys('C-u');
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  });

  it('collects a transaction and sends it', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('transaction(');
    t.keys('Enter');
    await t.waitFor(/transaction\[0\]>$/m);
    t.type('abort');
    t.keys('Enter');
    await t.waitFor(/transaction\[1\]>$/m);
    t.type(')');
    t.keys('Enter');
    await t.waitFor(/GenericError: Transaction aborted using Abort action/);
    t.keys('C-d');
  });

  it('-v shows what --log records, qmpsh\'s own look-ups marked in both', async () => {
    const log = join(stateHome, 'wire.log');
    const t = repl(sock(A), ['--log', log]);
    await t.waitFor(PROMPT);
    t.type('.verbose on');
    t.keys('Enter');
    await t.waitFor(/wire messages shown/);
    t.keys('C-l');
    t.type('query-name');
    t.keys('Enter');
    // After a command, the live names for completion (live-names.ts), the last of them qom-list.
    await t.waitFor(/^-> \{"execute":"qom-list",.*\}  \(qmpsh's own\)$/m);
    await new Promise((r) => setTimeout(r, 300));
    const screen = t.screen();
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
    const records = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { dir: string; internal?: true; msg: { execute?: string } });
    const from = records.findIndex((r) => r.dir === 'out' && r.msg.execute === 'query-name');
    const sent = records.slice(from).filter((r) => r.dir === 'out');
    expect(sent.map((r) => [r.msg.execute, r.internal ?? false])).toEqual([
      ['query-name', false],
      ['query-block', true],
      ['query-named-block-nodes', true],
      ['query-jobs', true],
      ['qom-list', true],
    ]);
    // Each as -v showed it: the same message, marked when --log marks it.
    const shown = screen.split('\n').filter((line) => line.startsWith('-> '));
    expect(shown).toEqual(sent.map((r) => `-> ${JSON.stringify(r.msg)}${r.internal ? "  (qmpsh's own)" : ''}`));
    rmSync(log);
  });

  it('asks before quit; answering no keeps QEMU running', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('quit');
    t.keys('Enter');
    await t.waitFor(/Send it\? \[y\/N\]$/m);
    t.type('n');
    t.keys('Enter');
    await t.waitFor(PROMPT);
    expect((await runCli([sock(B), 'query-status'])).code).toBe(0);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  });

  it('asks before every form of quit (HMP through human-monitor-command too); no keeps QEMU running', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    for (const line of [...QUIT_FORMS, '!quit', '!q']) {
      t.keys('C-l');
      t.type(line);
      t.keys('Enter');
      await t.waitFor(/Send it\? \[y\/N\]$/m);
      t.type('n');
      t.keys('Enter');
      await t.waitFor(PROMPT);
    }
    expect((await runCli([sock(B), 'query-status'])).code).toBe(0);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  });
});

describe('REPL with the schema', () => {
  it('completes argument names, enum values and live device names; help describes a command', async () => {
    const own = await startQemu({ args: ['-drive', 'if=none,id=drive0,driver=null-co'] });
    try {
      const t = repl(own.sock);
      await t.waitFor(/\[running\]>$/m);
      // help CMD, from the live schema (and it loads the schema for completion).
      t.type('help block_set_io_throttle');
      t.keys('Enter');
      await t.waitFor(/block_set_io_throttle {2}\(command\)[\s\S]*bps_rd +int/);
      t.keys('C-l');
      // An argument name.
      t.type('block_set_io_throttle iops_s');
      t.keys('Tab');
      await t.waitFor(/> block_set_io_throttle iops_size=$/m);
      // A live device name (query-block: drive0).
      t.keys('C-u');
      t.type('block_set_io_throttle dev');
      t.keys('Tab');
      await t.waitFor(/> block_set_io_throttle device=$/m);
      t.keys('Tab');
      await t.waitFor(/> block_set_io_throttle device=drive0$/m);
      // An enum value.
      t.keys('C-u');
      t.type('blockdev-add driver=null-');
      await t.waitFor(/> blockdev-add driver=null-$/m);
      t.keys('Tab');
      await new Promise((r) => setTimeout(r, 100));
      t.keys('Tab');
      await t.waitFor(/driver=null-aio\s+driver=null-co/);
      t.type('c');
      t.keys('Tab');
      await t.waitFor(/> blockdev-add driver=null-co$/m);
      // Variant arguments of the union once its tag is given.
      t.type(' read-z');
      t.keys('Tab');
      await t.waitFor(/> blockdev-add driver=null-co read-zeroes=$/m);
      t.keys('C-u', 'C-d');
      expect(await t.exitCode()).toBe(0);
    } finally {
      await own.stop();
    }
  });
});

describe('REPL when QEMU goes away', () => {
  it('killing QEMU ends the REPL with exit 4 and one clear line', async () => {
    const own = await startQemu();
    try {
      const t = repl(own.sock);
      await t.waitFor(/m0\.sock \[running\]>$/m);
      own.proc.kill('SIGKILL');
      await own.exited;
      expect(await t.exitCode()).toBe(4);
      const screen = t.screen();
      expect(screen).toMatch(/qmpsh: QEMU closed the connection.*QEMU exited or was killed/);
      expect(screen).not.toMatch(/at .*\.js:\d+/); // no stack trace
    } finally {
      await own.stop();
    }
  });

  it.each(['quit', ...QUIT_FORMS])('a confirmed quit exits 0: %s', async (line) => {
    const own = await startQemu();
    try {
      const t = repl(own.sock);
      await t.waitFor(/\[running\]>$/m);
      t.type(line);
      t.keys('Enter');
      await t.waitFor(/\[y\/N\]$/m);
      t.type('y');
      t.keys('Enter');
      expect(await t.exitCode()).toBe(0);
      expect(t.screen()).toMatch(/QEMU has quit\.$/m);
      expect(t.screen()).not.toMatch(/closed the connection/);
      expect(await own.exited).toBe(0);
    } finally {
      await own.stop();
    }
  });
});

describe('REPL waiting on a stopped QEMU', () => {
  it('Ctrl-C stops waiting, says the command may still run, and the REPL goes on', async () => {
    const own = await startQemu();
    try {
      const t = repl(own.sock);
      await t.waitFor(/\[running\]>$/m);
      own.proc.kill('SIGSTOP');
      t.type('query-status');
      t.keys('Enter');
      await new Promise((r) => setTimeout(r, 300));
      t.keys('C-c');
      await t.waitFor(/stopped waiting for 'query-status' \(it may still run in QEMU\)\n.*\[running\]>$/m);
      own.proc.kill('SIGCONT');
      // The late reply is dropped by its id; the next command gets its own.
      t.type('query-name');
      t.keys('Enter');
      await t.waitFor(/> query-name\n\{\}\n.*\[running\]>$/m);
      t.keys('C-d');
      expect(await t.exitCode()).toBe(0);
    } finally {
      own.proc.kill('SIGCONT');
      await own.stop();
    }
  });
});
