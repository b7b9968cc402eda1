/**
 * The migration progress model (src/jobs/migration.ts) replayed on
 * query-migrate replies recorded from real QEMUs (7.2 and 10.0) migrating a
 * booted Linux guest between two processes over TCP: one idle guest that
 * completes, one rewriting 48 MiB of memory under a 5 MiB/s cap that never
 * converges (test/fixtures/migration/).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MigrationTracker, migrationFrom, type MigrationProgress } from '../../src/jobs/migration.js';
import { migrationDetails, migrationJson } from '../../src/cli/output/migration.js';
import { migrationSpinnerText } from '../../src/cli/output/progress.js';
import { renderJobsTable } from '../../src/cli/output/jobs-table.js';

interface Recording {
  qemu: string;
  'max-bandwidth': number;
  samples: Array<{ at: number; reply: { status: string; ram: Record<string, number>; downtime?: number } }>;
}
const load = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/migration/${name}.json`, import.meta.url), 'utf8')) as Recording;
const replay = (r: Recording): MigrationProgress[] => {
  const t = new MigrationTracker();
  return r.samples.map((s) => t.update(s.reply, s.at));
};

describe.each(['7.2', '10.0'])('recorded from QEMU %s', (version) => {
  it('an idle guest: percent only grows, ends at 100 with nothing remaining; converging; ETA while active', () => {
    const rec = load(`${version}-idle`);
    const ps = replay(rec);
    const percents = ps.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.every((p) => p >= 0 && p <= 100)).toBe(true);
    const last = ps.at(-1) as MigrationProgress;
    const reply = rec.samples.at(-1)?.reply as Recording['samples'][0]['reply'];
    expect(last).toMatchObject({ status: 'completed', percent: 100, remaining: 0, eta: 0, converging: true, transferred: reply.ram.transferred });
    expect(last.downtime).toBe(reply.downtime);
    expect(ps.some((p) => p.converging === false)).toBe(false);
    expect(ps.filter((p) => p.status === 'active').every((p) => p.eta !== null && p.eta >= 0)).toBe(true);
    // The real rate sits at the cap QEMU was given (payload bytes over QEMU's clock), unlike mbps (megabits).
    for (const p of ps.slice(2)) {
      expect(p.rate).toBeGreaterThan(0.5 * rec['max-bandwidth']);
      expect(p.rate).toBeLessThan(1.5 * rec['max-bandwidth']);
    }
  });

  it('a guest dirtying memory under a 5 MiB/s cap: "not converging" from the third pass on, no ETA, percent never past 100', () => {
    const rec = load(`${version}-dirty`);
    const ps = replay(rec);
    expect(ps.every((p) => p.percent >= 0 && p.percent < 100)).toBe(true);
    expect(ps.filter((p) => p.passes < 3).every((p) => p.converging === null)).toBe(true);
    const late = ps.filter((p) => p.passes >= 3);
    expect(late.length).toBeGreaterThan(0);
    for (const p of late) expect(p).toMatchObject({ converging: false, eta: null });
    // No ETA that runs to 0 at the end of each pass: none from the second pass on.
    expect(ps.filter((p) => p.passes >= 2).every((p) => p.eta === null)).toBe(true);
    expect(ps.filter((p) => p.passes === 1).every((p) => p.eta !== null)).toBe(true);
    for (const [i, p] of ps.entries()) {
      const ram = rec.samples[i]?.reply.ram as Record<string, number>;
      // Pages per second times the page size: bytes per second.
      expect(p['dirty-rate']).toBe((ram['dirty-pages-rate'] ?? 0) * 4096);
      expect(p.passes).toBe(ram['dirty-sync-count']);
    }
    for (const p of ps.slice(2)) expect(p.rate).toBeLessThan(1.5 * rec['max-bandwidth']);
    expect(migrationDetails(late[0] as MigrationProgress)).toMatch(/rate [\d.]+ MiB\/s {2}dirty-rate [\d.]+ MiB\/s {2}passes 3 {2}not converging {2}expected-downtime [\d.]+s {2}eta -/);
  });
});

describe('the model on its own', () => {
  const reply = (o: Record<string, unknown>) => ({ status: 'active', 'total-time': 1000, ram: { transferred: 0, remaining: 0, total: 100, 'dirty-sync-count': 1, ...o } });

  it('percent from what remains; rate from payload bytes between replies, not mbps', () => {
    const t = new MigrationTracker();
    t.update({ ...reply({ transferred: 1000, 'normal-bytes': 900, remaining: 3000, mbps: 9999 }), 'total-time': 1000 }, 0);
    const p = t.update({ ...reply({ transferred: 3000, 'normal-bytes': 2900, remaining: 1000, mbps: 9999 }), 'total-time': 2000 }, 0);
    expect(p.percent).toBe(75);
    expect(p.rate).toBe(2000);
    // Without normal-bytes, transferred.
    const u = new MigrationTracker();
    u.update(reply({ transferred: 0 }), 0);
    expect(u.update({ ...reply({ transferred: 500 }), 'total-time': 1500 }, 0).rate).toBe(1000);
  });

  it('a new migration forgets the last one; none is 0%; peer garbage gives numbers, never throws', () => {
    const t = new MigrationTracker();
    t.update({ ...reply({ transferred: 10_000 }), 'total-time': 5000 }, 0);
    const again = t.update({ ...reply({ transferred: 100 }), 'total-time': 100 }, 0);
    expect(again.rate).toBe(1000);
    expect(migrationFrom({})).toMatchObject({ status: 'none', percent: 0, converging: null, eta: null });
    const odd = migrationFrom({ status: 'active', ram: { transferred: 'x', remaining: -5, 'page-size': null } } as never);
    expect(Number.isFinite(odd.percent)).toBe(true);
  });

  it('is the library\'s own', async () => {
    const lib = await import('../../src/index.js');
    expect(lib.MigrationTracker).toBe(MigrationTracker);
  });

  it('--wait and --jobs show the same names', () => {
    const p = replay(load('7.2-dirty')).at(-1) as MigrationProgress;
    const json = migrationJson(p);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['percent', 'transferred', 'remaining', 'rate', 'dirty-rate', 'passes', 'converging', 'expected-downtime', 'eta']));
    const details = migrationDetails(p);
    expect(migrationSpinnerText('migration', p)).toContain(details);
    const table = renderJobsTable([{ target: 't', jobs: [], migration: p }], false);
    expect(table[0]).toMatch(/DETAILS$/);
    expect(table[1]).toContain(details);
    expect(table[1]).toMatch(/^- +migration +active +\d+\.\d% /);
  });
});
