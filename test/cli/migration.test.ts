/**
 * A booted Linux guest (test/helpers/guest.ts) migrated between two QEMUs
 * over TCP (the destination started with -incoming defer, then
 * migrate-incoming), followed with --wait and --jobs: the numbers shown are
 * checked against QEMU's own query-migrate. A guest that keeps rewriting
 * memory under a bandwidth cap never converges, and both views say so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, type CliChild } from '../helpers/cli-child.js';
import { startGuest, type Guest, type GuestAction } from '../helpers/guest.js';
import { freePort } from '../helpers/qemu.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

const MiB = 1024 * 1024;
const LONG_MS = 240_000;
let guests: Guest[] = [];
let children: CliChild[] = [];
afterEach(async () => {
  for (const c of children) c.kill();
  await Promise.all(children.map((c) => c.done));
  await Promise.all(guests.map((g) => g.stop()));
  guests = [];
  children = [];
});

const ok = async (sock: string, ...args: string[]) => {
  const r = await runCli([sock, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout ? (JSON.parse(r.stdout) as Record<string, any>) : undefined;
};

/** A booted source (three monitors) and a destination waiting on a free port; the source capped at `bandwidth`. */
async function pair(action: GuestAction, bandwidth: number): Promise<{ src: Guest; dst: Guest; uri: string }> {
  const [src, dst] = await Promise.all([
    startGuest({ action, dirtyMiB: 48, monitors: ['plain', 'plain', 'plain'] }),
    startGuest({ action, incoming: 'defer' }),
  ]);
  guests.push(src, dst);
  await src.waitForSerial(/qmpsh-guest: (idle|dirty)/);
  const uri = `tcp:127.0.0.1:${await freePort()}`;
  await ok(dst.sock, 'migrate-incoming', `uri=${uri}`);
  await ok(src.sock, 'migrate-set-parameters', `max-bandwidth=${bandwidth}`);
  return { src, dst, uri };
}

type Line = Record<string, any>;
const ndjson = (text: string): Line[] => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);

describe('a migration between two QEMUs over TCP', () => {
  it('--wait follows it to completion: percent grows (within each pass) to 100, the numbers are query-migrate\'s', async () => {
    const { src, dst, uri } = await pair('idle', 32 * MiB);
    const r = await runCli([src.sock, 'migrate', `uri=${uri}`, '--wait'], { killAfterMs: LONG_MS });
    expect(r.code, r.stderr).toBe(0);
    const final = JSON.parse(r.stdout) as Line; // query-migrate, once ended
    expect(final.status).toBe('completed');
    const lines = ndjson(r.stderr).filter((l) => l.progress === 'migration');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    // Within a pass what remains only shrinks; a new pass may add what the guest dirtied meanwhile.
    for (const [i, l] of lines.entries()) {
      const before = lines[i - 1];
      if (before && before.passes === l.passes) expect(l.percent).toBeGreaterThanOrEqual(before.percent);
      expect(l.percent).toBeGreaterThanOrEqual(0);
      expect(l.percent).toBeLessThanOrEqual(100);
    }
    const last = lines.at(-1) as Line;
    expect(last).toMatchObject({ status: 'completed', percent: 100, remaining: 0, transferred: final.ram.transferred, passes: final.ram['dirty-sync-count'], downtime: final.downtime, converging: true, eta: 0 });
    for (const l of lines) expect(l.transferred).toBeLessThanOrEqual(final.ram.transferred);
    // The real rate: below the cap (whatever the machine's load), where mbps is megabits.
    expect(last.rate).toBeGreaterThan(MiB);
    expect(last.rate).toBeLessThan(48 * MiB);
    // The guest now runs on the destination.
    expect((await ok(dst.sock, 'query-status'))?.status).toBe('running');
    expect((await ok(src.sock, 'query-status'))?.status).toBe('postmigrate');
  }, LONG_MS);

  it('a guest dirtying memory under a 16 MiB/s cap: --wait and --jobs say "not converging"; Ctrl-C cancels it', async () => {
    const { src, uri } = await pair('dirty', 16 * MiB);
    // --wait on the first monitor (NDJSON progress on stderr: not a terminal), --jobs on the second.
    const wait = spawnCli([src.sock, 'migrate', `uri=${uri}`, '--wait', '--cancel-on-interrupt', '--timeout', '0']);
    children.push(wait);
    await wait.waitForLine('stderr', /"progress":"migration"/, 30_000);
    const jobs = spawnCli([src.sockets[1] as string, '--jobs']);
    children.push(jobs);
    const seen = await wait.waitForLine('stderr', /"converging":false/, 150_000);
    const snapshot = JSON.parse(await jobs.waitForLine('stdout', /"converging":false/, 30_000)) as Line;

    const p = JSON.parse(seen) as Line;
    // Said once, with what to do about it.
    const notes = ndjson(wait.stderr()).filter((l) => /not converging/.test(l.note ?? ''));
    expect(notes).toHaveLength(1);
    expect(notes[0]?.note).toMatch(/raise max-bandwidth .*auto-converge .*migrate_cancel/);
    expect(p).toMatchObject({ status: 'active', eta: null });
    expect(p.passes).toBeGreaterThanOrEqual(3);
    expect(p.percent).toBeLessThan(100);
    // The same fields, the same names, in both views.
    const keys = ['status', 'percent', 'transferred', 'remaining', 'total', 'rate', 'dirty-rate', 'passes', 'converging', 'expected-downtime', 'eta'];
    expect(Object.keys(p)).toEqual(expect.arrayContaining(keys));
    expect(Object.keys(snapshot.migration)).toEqual(expect.arrayContaining(keys));
    expect(snapshot.migration).toMatchObject({ status: 'active', converging: false, eta: null });
    // Against QEMU's own numbers now: the guest dirties pages, and what remains is more than the downtime limit allows.
    const q = (await ok(src.sockets[2] as string, 'query-migrate')) as Line; // both others are held
    expect(q.status).toBe('active');
    expect(q.ram['dirty-pages-rate']).toBeGreaterThan(0);
    expect(q['expected-downtime']).toBeGreaterThan(300);
    expect(p.rate).toBeLessThan(24 * MiB);

    jobs.kill('SIGINT');
    expect(await jobs.done).toBe(130);
    wait.kill('SIGINT');
    expect(await wait.done).toBe(130);
    expect(wait.stderr()).toMatch(/the migration was cancelled on interrupt/);
    expect((await ok(src.sock, 'query-migrate'))?.status).toBe('cancelled');
    expect((await ok(src.sock, 'query-status'))?.status).toBe('running');
  }, LONG_MS);
});

describe('a migration that cannot converge, in a terminal', () => {
  it('the spinner and the --jobs table show the same fields, and say "not converging"', async () => {
    requireTmux();
    const { src, uri } = await pair('dirty', 16 * MiB);
    const wide = 250; // the migration's line is long: no wrapping in the way
    const wait = Tmux.start([...CLI, src.sock, 'migrate', `uri=${uri}`, '--wait', '--cancel-on-interrupt', '--timeout', '0'], {}, wide);
    const jobs = Tmux.start([...CLI, src.sockets[1] as string, '--jobs'], {}, wide);
    try {
      const fields = /(\d+\.\d)% [\d.]+ MiB\/[\d.]+ MiB active {2}remaining [\d.]+ MiB {2}rate [\d.]+ MiB\/s {2}dirty-rate [\d.]+ MiB\/s {2}passes \d+ {2}not converging {2}expected-downtime [\d.]+s {2}eta -/;
      const spinner = await wait.waitFor(new RegExp(`migration \\[[#-]{20}\\] ${fields.source}`), 150_000);
      expect(spinner.split('\n').filter((l) => l.includes('migration [')).length).toBe(1); // redrawn in place
      // --jobs came later: its own model needs a pass change to judge, as --wait's did.
      const table = await jobs.waitFor(/^- +migration +active .*not converging/m, 60_000);
      expect(table).toMatch(/^ID +TYPE +STATUS +PROGRESS +DONE +TOTAL +DETAILS$/m);
      expect(table).toMatch(/^- +migration +active +\d+\.\d% +[\d.]+ MiB +[\d.]+ MiB +remaining [\d.]+ MiB {2}rate .* {2}not converging {2}expected-downtime [\d.]+s {2}eta -$/m);
      wait.keys('C-c');
      expect(await wait.exitCode()).toBe(130);
      expect(wait.screen()).toMatch(/the migration was cancelled on interrupt/);
      await jobs.waitFor(/^- +migration +cancelled /m, 30_000);
      jobs.keys('C-c');
      expect(await jobs.exitCode()).toBe(130);
    } finally {
      wait.close();
      jobs.close();
    }
  }, LONG_MS);
});
