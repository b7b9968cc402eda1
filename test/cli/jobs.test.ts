/** --wait and --jobs against a real QEMU: block jobs between null-co nodes, and a migration. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI, CLI_SHELL, runCli, SINGLE_FILE } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

let qemu: Qemu;
const MiB = 1024 * 1024;
beforeAll(async () => {
  // A second monitor: --jobs holds the first while the test drives the job.
  qemu = await startQemu({ monitors: ['plain', 'plain'] });
  for (const node of ['src', 'dst']) {
    expect((await runCli([qemu.sock, 'blockdev-add', 'driver=null-co', `node-name=${node}`, `size=${32 * MiB}`])).code).toBe(0);
  }
});
afterAll(async () => {
  await qemu?.stop();
});
/** No job outlives its test: cancel what runs, dismiss what concluded. */
afterEach(async () => {
  for (let i = 0; i < 50; i++) {
    const jobs = JSON.parse((await runCli([qemu.sock, 'query-jobs'])).stdout || '[]') as Array<{ id: string; status: string }>;
    if (jobs.length === 0) return;
    for (const j of jobs) {
      await runCli([qemu.sock, j.status === 'concluded' ? 'job-dismiss' : 'job-cancel', `id=${j.id}`]);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
});

const cli = (...args: string[]) => runCli([qemu.sock, ...args], { killAfterMs: 30_000 });
type Progress = { progress?: string; status?: string; percent?: number; note?: string };
const progressLines = (stderr: string) =>
  stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Progress);

describe('--wait on block jobs', () => {
  it('follows a speed-limited backup to success: NDJSON progress, monotonic, ending at 100%', async () => {
    const r = await cli('blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=b1', `speed=${16 * MiB}`, '--wait');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'b1', type: 'backup', status: 'concluded', done: 32 * MiB, total: 32 * MiB, dismissed: true });
    const lines = progressLines(r.stderr).filter((l) => l.progress === 'backup b1');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const percents = lines.map((l) => l.percent as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    expect((await cli('query-jobs')).stdout).toBe('[]\n'); // dismissed by qmpsh
  });

  it('exits 1 with the job\'s own error when it fails', async () => {
    const r = await cli('blockdev-create', 'job-id=c1', 'options:={"driver":"file","filename":"/nonexistent-dir/x.img","size":1048576}', '--wait');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^qmpsh: JobFailed: job c1: Could not create '\/nonexistent-dir\/x\.img': No such file or directory$/m);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'c1', status: 'concluded', error: expect.stringMatching(/Could not create/) });
  });

  it('completes a mirror when it is ready with --complete', async () => {
    const r = await cli('blockdev-mirror', 'device=src', 'target=dst', 'sync=full', 'job-id=m1', '--wait', '--complete');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'm1', type: 'mirror', status: 'concluded' });
    expect(progressLines(r.stderr).some((l) => l.note?.includes('completing it'))).toBe(true);
  });

  it('hands a ready mirror back (exit 0, still mirroring); job-complete --wait ends it; nothing is left behind', async () => {
    const r = await cli('blockdev-mirror', 'device=src', 'target=dst', 'sync=full', 'job-id=m2', '--wait');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'm2', type: 'mirror', status: 'ready' });
    expect(progressLines(r.stderr).some((l) => /job m2 is ready .*keeps mirroring.*job-complete id=m2/.test(l.note ?? ''))).toBe(true);
    // The monitor is free again, and the job goes on.
    expect(JSON.parse((await cli('query-jobs')).stdout)).toMatchObject([{ id: 'm2', status: 'ready' }]);
    const done = await cli('job-complete', 'id=m2', '--wait');
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse((await cli('query-jobs')).stdout)).toEqual([]);
  });

  it('exits 5 on --timeout with the job still there; job-cancel --wait ends it and dismisses it', async () => {
    const r = await cli('blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=t1', `speed=${64 * 1024}`, '--wait', '--timeout', '1');
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/qmpsh: job t1 did not end within 1s; it goes on in QEMU/);
    // Cancelling is the job's end too, with QEMU's own error: exit 1; then nothing is left.
    const cancelled = await cli('job-cancel', 'id=t1', '--wait');
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toMatch(/job t1: Operation canceled/);
    expect(JSON.parse((await cli('query-jobs')).stdout)).toEqual([]);
  });

  it('Ctrl-C leaves the job running, or cancels it with --cancel-on-interrupt', async () => {
    for (const [flag, code, message, left] of [
      [[], 130, /stopped following job m3: it is still running in QEMU/, true],
      [['--cancel-on-interrupt'], 130, /job m3 was cancelled on interrupt/, false],
    ] as const) {
      // A slow backup: running for long enough to be interrupted.
      const child = spawn(CLI[0], [...CLI.slice(1), qemu.sock, 'blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=m3', `speed=${64 * 1024}`, '--wait', ...flag], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      let exited = false;
      child.on('exit', () => (exited = true));
      while (!stderr.includes('"status":"running"') && !exited) await new Promise((r) => setTimeout(r, 20));
      expect(exited, stderr).toBe(false);
      child.kill('SIGINT');
      expect(await new Promise((resolve) => child.on('close', resolve))).toBe(code);
      expect(stderr).toMatch(message);
      const jobs = (await cli('query-jobs')).stdout;
      expect(jobs.includes('"id":"m3"') && jobs.includes('"running"')).toBe(left);
      if (left) await cli('job-cancel', 'id=m3', '--wait');
      await cli('job-dismiss', 'id=m3');
    }
  });
});

describe('--wait on a terminal that says it has no columns', () => {
  it('writes progress lines instead of redrawing forever (script(1) with no size)', async () => {
    const command = `stty cols 0 rows 0; ${CLI_SHELL} '${qemu.sock}' blockdev-backup device=src target=dst sync=full job-id=z0 speed=${32 * MiB} --wait`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(killer);
    expect(code, out.slice(-500)).toBe(0);
    expect(out.length).toBeLessThan(100_000); // ora's loop wrote megabytes of cursor-up
    expect(out).toMatch(/"progress":"backup z0","status":"concluded".*"percent":100/);
  });
});

describe('--wait leaves no job behind, whatever ends it', () => {
  /** Polls until the job is gone on its own (nobody dismisses it here); fails if it stays. */
  async function goneOnItsOwn(id: string): Promise<void> {
    let jobs = '';
    for (let i = 0; i < 300; i++) {
      jobs = (await cli('query-jobs')).stdout;
      if (!jobs.includes(`"id":"${id}"`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect.fail(`job ${id} was left behind: ${jobs}`);
  }

  it('--timeout: exit 5, the job runs to its end and QEMU dismisses it (its id is free again)', async () => {
    const r = await cli('blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=lb1', `speed=${16 * MiB}`, '--wait', '--timeout', '0.5');
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).not.toMatch(/job-dismiss/);
    await goneOnItsOwn('lb1');
    // The id can be used again at once.
    expect((await cli('blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=lb1', '--wait')).code).toBe(0);
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    it(`${signal}: the job runs to its end and QEMU dismisses it`, async () => {
      const child = spawn(CLI[0], [...CLI.slice(1), qemu.sock, 'blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=lb2', `speed=${16 * MiB}`, '--wait'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      let exited = false;
      child.on('exit', () => (exited = true));
      while (!stderr.includes('"status":"running"') && !exited) await new Promise((r) => setTimeout(r, 20));
      expect(exited, stderr).toBe(false);
      child.kill(signal);
      expect(await new Promise((resolve) => child.on('close', resolve))).toBe({ SIGTERM: 143, SIGHUP: 129, SIGINT: 130 }[signal]);
      await goneOnItsOwn('lb2');
    });
  }

  it('a block job that fails: exit 1 with its error (from its end event), and nothing left', async () => {
    expect((await runCli([qemu.sock, 'blockdev-add', 'driver=blkdebug', 'node-name=failing', 'image=dst',
      'inject-error:=[{"event":"none","iotype":"write-zeroes","errno":5},{"event":"none","iotype":"write","errno":5}]'])).code).toBe(0);
    const r = await cli('blockdev-backup', 'device=src', 'target=failing', 'sync=full', 'job-id=lb3', '--wait');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^qmpsh: JobFailed: job lb3: Input\/output error$/m);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'lb3', type: 'backup', status: 'concluded', error: 'Input/output error' });
    expect(JSON.parse((await cli('query-jobs')).stdout)).toEqual([]);
    expect((await runCli([qemu.sock, 'blockdev-del', 'node-name=failing'])).code).toBe(0);
  });
});

describe('--jobs', () => {
  it('--until-done shows NDJSON snapshots and ends when the job does', async () => {
    // Slow until --jobs has shown it, then let go: no race with a loaded machine.
    expect((await cli('blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=b2', `speed=${64 * 1024}`)).code).toBe(0);
    const child = spawn(CLI[0], [...CLI.slice(1), qemu.sock, '--jobs', '--until-done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('"b2"')) resolve();
      }),
    );
    expect((await runCli([qemu.sockets[1] as string, 'block-job-set-speed', 'device=b2', 'speed=0'])).code).toBe(0);
    const r = { code: await exited, stdout };
    expect(r.code).toBe(0);
    const snapshots = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { jobs: Array<{ id: string }> });
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    expect(snapshots[0]?.jobs.map((j) => j.id)).toEqual(['b2']);
    expect(snapshots.at(-1)?.jobs).toEqual([]);
  });
});

// Counted by a hook Node preloads (NODE_OPTIONS=--require), which the single file's runtime does not take.
describe.skipIf(SINGLE_FILE)('a long --wait or --jobs keeps a bounded number of abort listeners (Node --require hook: skipped for the single file)', () => {
  // Polled every 500 ms (stderr not a terminal): a ~4 s job is 8 rounds.
  const COUNTER = fileURLToPath(new URL('../helpers/count-abort-listeners.cjs', import.meta.url));
  const counted = (...args: string[]) =>
    runCli([qemu.sock, ...args], { killAfterMs: 30_000, env: { NODE_OPTIONS: `--require ${COUNTER}` } });
  const maxListeners = (stderr: string) => Number(/abort-listeners-max=(\d+)/.exec(stderr)?.[1] ?? NaN);

  it('--wait: one listener per round is removed with the round, no MaxListenersExceededWarning', async () => {
    const r = await counted('blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=l1', `speed=${8 * MiB}`, '--wait', '-v');
    expect(r.code, r.stderr).toBe(0);
    const rounds = r.stderr.split('\n').filter((l) => l.startsWith('-> ') && l.includes('"query-jobs"')).length;
    expect(rounds).toBeGreaterThanOrEqual(6);
    expect(r.stderr).not.toMatch(/MaxListenersExceededWarning|abort listeners/i);
    expect(maxListeners(r.stderr)).toBeLessThanOrEqual(3);
  });

  it('--jobs --until-done: the same', async () => {
    expect((await cli('blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=l2', `speed=${8 * MiB}`)).code).toBe(0);
    const r = await counted('--jobs', '--until-done');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(3);
    expect(r.stderr).not.toMatch(/MaxListenersExceededWarning|abort listeners/i);
    expect(maxListeners(r.stderr)).toBeLessThanOrEqual(3);
  });
});

describe('--wait on a migration', () => {
  it('follows a bandwidth-limited migration of a -M pc guest to completion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmpsh-mig-'));
    // Random guest RAM: zero pages would migrate in no time.
    const ram = join(dir, 'ram');
    writeFileSync(ram, randomBytes(64 * MiB));
    const guest = await startQemu({
      machine: ['-M', 'pc,memory-backend=mem', '-accel', 'tcg', '-m', '64', '-S'],
      args: ['-object', `memory-backend-file,id=mem,size=64M,mem-path=${ram},share=on`],
    });
    try {
      expect((await runCli([guest.sock, 'migrate-set-parameters', `max-bandwidth=${48 * MiB}`])).code).toBe(0);
      const r = await runCli([guest.sock, 'migrate', 'uri=exec:cat > /dev/null', '--wait'], { killAfterMs: 30_000 });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed' });
      const lines = progressLines(r.stderr).filter((l) => l.progress === 'migration');
      const percents = lines.map((l) => l.percent as number);
      expect(percents.length).toBeGreaterThanOrEqual(2);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(percents.at(-1)).toBe(100);
    } finally {
      await guest.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the --jobs table in a terminal', () => {
  it('is redrawn in place while a job runs, and ends with --until-done', async () => {
    requireTmux();
    expect((await cli('blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=b4', `speed=${8 * MiB}`)).code).toBe(0);
    const t = Tmux.start([...CLI, qemu.sock, '--jobs', '--until-done']);
    try {
      const screen = await t.waitFor(/^ID +TYPE +STATUS +PROGRESS +DONE +TOTAL\n^b4 +backup +running +\d+\.\d% /m);
      expect(screen.match(/^ID +TYPE/gm)).toHaveLength(1); // one table, redrawn
      expect(await t.exitCode()).toBe(0);
      expect(t.screen()).toMatch(/no jobs, no migration/);
      expect(t.screen().match(/^ID +TYPE/gm) ?? []).toHaveLength(0); // the last draw replaced the table
    } finally {
      t.close();
    }
  });
});

describe('the progress bar in a terminal', () => {
  it('shows percent, bytes, rate and ETA, updating in place', async () => {
    requireTmux();
    const t = Tmux.start([...CLI, qemu.sock, 'blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=b3', `speed=${8 * MiB}`, '--wait']);
    try {
      const screen = await t.waitFor(/backup b3 \[#*-+\] \d+\.\d% [\d.]+ MiB\/32\.0 MiB [\d.]+ (MiB|KiB|B)\/s ETA \d+s running/);
      expect(screen.split('\n').filter((l) => l.includes('backup b3')).length).toBe(1); // redrawn, not scrolled
      await t.waitFor(/✔ job b3 concluded|job b3 concluded/);
      expect(await t.exitCode()).toBe(0);
    } finally {
      t.close();
    }
  });

  it('Ctrl-C typed at the terminal stops following (exit 130), the job left running', async () => {
    requireTmux();
    // The spinner must not take the terminal out of its signal-generating mode.
    const t = Tmux.start([...CLI, qemu.sock, 'blockdev-backup', 'device=src', 'target=dst', 'sync=full', 'job-id=b4', `speed=${64 * 1024}`, '--wait']);
    try {
      await t.waitFor(/backup b4 .* running/);
      t.keys('C-c');
      expect(await t.exitCode()).toBe(130);
      expect(t.screen()).toMatch(/stopped following job b4: it is still running in QEMU/);
      const jobs = JSON.parse((await cli('query-jobs')).stdout) as Array<{ id: string; status: string }>;
      expect(jobs.find((j) => j.id === 'b4')?.status).toBe('running');
    } finally {
      t.close();
    }
  });
});
