/**
 * The REPL's own tools in a real terminal (tmux) against a real QEMU: the
 * pager for long replies, `.wait` and `.jobs` on a running block job,
 * `.events` alone, and unknown commands pointing at `help`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI, CLI_SHELL, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

let qemu: Qemu;
let dir: string;
const terminals: Tmux[] = [];

beforeAll(async () => {
  requireTmux();
  qemu = await startQemu({ monitors: ['plain', 'plain'] });
  dir = mkdtempSync(join(tmpdir(), 'qmpsh-tools-'));
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
});
afterAll(async () => {
  await qemu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const B = () => qemu.sockets[1] as string;
const MiB = 1024 * 1024;

function repl(env: Record<string, string> = {}, height = 30): Tmux {
  const t = Tmux.start([...CLI, qemu.sock], { XDG_STATE_HOME: dir, TERM: 'xterm-256color', ...env }, 100, height);
  terminals.push(t);
  return t;
}

const PROMPT = /m0\.sock \[running\]>$/m;

/** A pager that keeps what it was given in `file` and says it ran. */
function recordingPager(name: string): { command: string; file: string } {
  const file = join(dir, `${name}.paged`);
  const script = join(dir, `${name}.sh`);
  writeFileSync(script, `#!/bin/sh\ncat > '${file}'\necho "paged by ${name}"\n`);
  chmodSync(script, 0o755);
  return { command: script, file };
}

describe('the REPL pager', () => {
  it('pages a reply taller than the screen through $PAGER, not a short one; .pager off turns it off', async () => {
    const pager = recordingPager('rec');
    const t = repl({ PAGER: pager.command });
    await t.waitFor(PROMPT);
    t.type('query-status');
    t.keys('Enter');
    await t.waitFor(/"running": true/);
    expect(existsSync(pager.file)).toBe(false);
    t.type('query-commands');
    t.keys('Enter');
    await t.waitFor(/paged by rec\n.*\[running\]>$/m);
    const paged = readFileSync(pager.file, 'utf8');
    // Our colours (SGR) at most: no other control character reaches the pager.
    const plain = paged.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/"name": "query-status"/);
    expect(plain).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    rmSync(pager.file);
    // HMP text too (peer text: inert, no colours of ours).
    t.keys('C-l');
    await t.waitFor(/^m0\.sock \[running\]>\s*$/);
    t.type('!help');
    t.keys('Enter');
    await t.waitFor(/paged by rec\n.*\[running\]>$/m);
    expect(readFileSync(pager.file, 'utf8')).toMatch(/^info \[subcommand\] -- /m);
    expect(readFileSync(pager.file, 'utf8')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    rmSync(pager.file);
    t.keys('C-l');
    t.type('.pager off');
    t.keys('Enter');
    await t.waitFor(/pager off/);
    t.type('query-commands');
    t.keys('Enter');
    await t.waitFor(/"name": "[\w-]+"\n\s+\}\n\]\n.*\[running\]>$/m);
    expect(existsSync(pager.file)).toBe(false);
    t.type('.pager');
    t.keys('Enter');
    await t.waitFor(/pager off \(\.pager on\)/);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  }, 30_000);

  it('runs less; q returns to a working prompt, Ctrl-C in less does not end the REPL', async () => {
    try {
      execFileSync('less', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('less is needed by the pager test: apt-get install less (scripts/install-deps.sh does)');
    }
    const t = repl({ PAGER: 'less' });
    await t.waitFor(PROMPT);
    t.type('query-commands');
    t.keys('Enter');
    await t.waitFor(/^:\s*$/m);
    // An event while less has the screen waits until it exits.
    expect((await runCli([B(), 'stop'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.screen()).not.toMatch(/event STOP/);
    t.keys('C-c');
    await new Promise((r) => setTimeout(r, 300));
    t.keys('q');
    await t.waitFor(/event STOP [^\n]*\n.*\[paused\]>$/m);
    expect((await runCli([B(), 'cont'])).code).toBe(0);
    await t.waitFor(PROMPT);
    // The terminal is readline's again: line editing and Tab work.
    t.type('query-na');
    t.keys('Tab');
    await t.waitFor(/> query-name$/m);
    t.keys('Enter');
    await t.waitFor(/> query-name\n\{\}\n.*\[running\]>$/m);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  }, 30_000);

  it('PAGER=cat, or a stdout that is not a terminal, pages nothing', async () => {
    const t = repl({ PAGER: 'cat' });
    await t.waitFor(PROMPT);
    t.type('query-commands');
    t.keys('Enter');
    await t.waitFor(/\]\n.*\[running\]>$/m);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);

    const pager = recordingPager('piped');
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const piped = Tmux.start(['sh', '-c', `${CLI_SHELL} ${quote(qemu.sock)} | cat`], { XDG_STATE_HOME: dir, TERM: 'xterm-256color', PAGER: pager.command }, 100, 30);
    terminals.push(piped);
    await piped.waitFor(PROMPT);
    piped.type('query-commands');
    piped.keys('Enter');
    await piped.waitFor(/\]\n.*\[running\]>/m);
    expect(existsSync(pager.file)).toBe(false);
    piped.keys('C-d');
    expect(await piped.exitCode()).toBe(0);
  }, 30_000);
});

describe('REPL .wait, .jobs and .events', () => {
  it('.jobs shows the table, .wait follows a job with progress until Ctrl-C (the job goes on) or until it is ready', async () => {
    for (const cmd of [
      ['blockdev-add', 'driver=null-co', 'node-name=src', 'size=1073741824'],
      ['blockdev-add', 'driver=null-co', 'node-name=tgt', 'size=1073741824'],
      ['blockdev-mirror', 'job-id=mjob', 'device=src', 'target=tgt', 'sync=full', 'speed=1'],
    ]) {
      expect((await runCli([B(), ...cmd])).code).toBe(0);
    }
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('.jobs');
    t.keys('Enter');
    await t.waitFor(/ID\s+TYPE\s+STATUS\s+PROGRESS\s+DONE\s+TOTAL\nmjob\s+mirror\s+running\s+[\d.]+%/);
    t.type('.wait mj');
    t.keys('Tab');
    await t.waitFor(/> \.wait mjob$/m);
    t.keys('Enter');
    await t.waitFor(/mirror mjob \[[#-]{20}\] [\d.]+% .*running/);
    t.keys('C-c');
    await t.waitFor(/stopped following job mjob: it goes on in QEMU\n.*\[running\]>$/m);
    const jobs = await runCli([B(), '--compact', 'query-jobs']);
    expect(jobs.stdout).toMatch(/"id":"mjob"/);
    expect(jobs.stdout).toMatch(/"status":"running"/);
    // .wait alone: the only job. Unthrottled, the mirror gets ready and is handed back.
    t.type('.wait');
    t.keys('Enter');
    await t.waitFor(/mirror mjob \[/);
    expect((await runCli([B(), 'block-job-set-speed', 'device=mjob', 'speed=0'])).code).toBe(0);
    await t.waitFor(/job mjob ready \(in sync\)[^\n]*\n.*\[running\]>$/m, 20_000);
    t.type('.wait nosuch');
    t.keys('Enter');
    await t.waitFor(/no job 'nosuch' here \(jobs: mjob\)/);
    expect((await runCli([B(), 'block-job-cancel', 'device=mjob'])).code).toBe(0);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  }, 40_000);

  it('.wait alone follows the migration when no job runs, to its end', async () => {
    const ramDir = mkdtempSync(join(dir, 'mig-'));
    // Random guest RAM: zero pages would migrate in no time.
    const ram = join(ramDir, 'ram');
    writeFileSync(ram, randomBytes(64 * MiB));
    const guest = await startQemu({
      monitors: ['plain', 'plain'],
      machine: ['-M', 'pc,memory-backend=mem', '-accel', 'tcg', '-m', '64', '-S'],
      args: ['-object', `memory-backend-file,id=mem,size=64M,mem-path=${ram},share=on`],
    });
    try {
      const other = guest.sockets[1] as string;
      const t = Tmux.start([...CLI, guest.sock], { XDG_STATE_HOME: dir, TERM: 'xterm-256color' }, 100, 30);
      terminals.push(t);
      await t.waitFor(/\[prelaunch\]>$/m);
      expect((await runCli([other, 'migrate-set-parameters', `max-bandwidth=${16 * MiB}`])).code).toBe(0);
      expect((await runCli([other, 'migrate', 'uri=exec:cat > /dev/null'])).code).toBe(0);
      t.type('.jobs');
      t.keys('Enter');
      await t.waitFor(/^-\s+migration\s+(setup|active)\s/m);
      t.type('.wait');
      t.keys('Enter');
      await t.waitFor(/migration \[[#-]{20}\] [\d.]+% /);
      await t.waitFor(/migration completed\n.*\]>$/m, 30_000);
      t.keys('C-d');
      expect(await t.exitCode()).toBe(0);
    } finally {
      await guest.stop();
    }
  }, 60_000);

  it('.events alone says how it is set and changes nothing', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('.events');
    t.keys('Enter');
    await t.waitFor(/events shown \(\.events off hides them\)/);
    t.type('.events');
    t.keys('Enter');
    await t.waitFor(/events shown[^\n]*\n[^\n]*\n[^\n]*events shown/);
    t.type('.events of');
    t.keys('Tab');
    await t.waitFor(/> \.events off$/m);
    t.keys('Enter');
    await t.waitFor(/events hidden/);
    expect((await runCli([B(), 'stop'])).code).toBe(0);
    await t.waitFor(/\[paused\]>$/m);
    expect(t.screen()).not.toMatch(/event STOP/);
    t.type('.events');
    t.keys('Enter');
    await t.waitFor(/events hidden \(\.events on shows them\)\n.*\[paused\]>$/m);
    expect((await runCli([B(), 'cont'])).code).toBe(0);
    await t.waitFor(/\[running\]>$/m);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  }, 30_000);

  it('an unknown command points to help and Tab', async () => {
    const t = repl();
    await t.waitFor(PROMPT);
    t.type('query-stauts');
    t.keys('Enter');
    await t.waitFor(/unknown command 'query-stauts'[\s\S]*\.help and Tab list them; help NAME describes one/);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  }, 30_000);
});
