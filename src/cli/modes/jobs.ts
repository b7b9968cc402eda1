/**
 * --jobs: every job and the migration, refreshed every second: a table
 * redrawn in place on a terminal, an NDJSON snapshot per second otherwise
 * (and with --json). With several targets, one session each: the table gets a
 * TARGET column and each snapshot a "target" member. Until Ctrl-C, or with
 * --until-done until nothing is left anywhere.
 */
import { InterruptedError, QmpError } from '../../errors.js';
import { MIGRATION_ACTIVE, MigrationTracker, jobsFrom, migrationFrom } from '../../jobs/model.js';
import { openSession, type CliSession, type Runtime } from '../core/session.js';
import { messageWithHint } from '../core/hints.js';
import { downtimeLimit } from '../core/internal.js';
import { pause } from '../core/pause.js';
import type { Mode } from '../options/decide.js';
import { compactJson } from '../output/format.js';
import { renderJobsTable, type JobsSnapshot } from '../output/jobs-table.js';
import { migrationJson } from '../output/migration.js';

const INTERVAL_MS = 1000;

type Jobs = Extract<Mode, { kind: 'jobs' }>;

type Snapshot = JobsSnapshot;

export async function runJobsView(
  mode: Jobs,
  rt: Runtime,
  targets: ReadonlyArray<{ target: string; address: string }>,
): Promise<void> {
  const { io } = rt;
  const several = targets.length > 1;
  // The table says what the events would; event lines would break the redraw.
  const events = rt.common.verbose ? 'stderr' : 'none';
  const names = new Map<CliSession, string>();
  const sessions: CliSession[] = targets.map((t) => {
    const session = openSession(rt, t.address, { events, tag: several ? t.target : undefined });
    names.set(session, t.target);
    return session;
  });
  const table = io.stdoutIsTTY && !mode.json;
  let drawn = 0;
  const live = new Set<CliSession>();
  // Rates and convergence need each target's history: one model per session, as --wait has.
  const trackers = new Map<CliSession, MigrationTracker>();
  try {
    // A target that cannot be reached is its own row (several), or the error (one).
    await Promise.all(
      sessions.map(async (s) => {
        try {
          await s.open();
          trackers.set(s, new MigrationTracker(await downtimeLimit(s.client)));
          live.add(s);
        } catch (err) {
          if (!several) throw err;
          io.error(`${names.get(s)}: ${err instanceof QmpError ? messageWithHint(err) : String(err)}`);
        }
      }),
    );
    for (;;) {
      const snapshots = await Promise.all(sessions.filter((s) => live.has(s)).map((s) => snapshot(s, names.get(s) as string, live, trackers.get(s) as MigrationTracker)));
      if (table) {
        const lines = renderJobsTable(snapshots, several);
        // Up over the last table, then draw the new one over it.
        if (drawn) io.control(`\x1b[${drawn}A\r\x1b[J`);
        for (const line of lines) io.out(line);
        drawn = lines.length;
      } else {
        for (const s of snapshots) {
          io.out(compactJson({ time: new Date().toISOString(), ...(several ? { target: s.target } : {}), jobs: s.jobs, migration: migrationJson(s.migration) }));
        }
      }
      const idle = snapshots.every((s) => s.jobs.length === 0 && !MIGRATION_ACTIVE.has(s.migration.status));
      if (mode.untilDone && idle) return;
      if (live.size === 0) return;
      await pause(INTERVAL_MS, rt.signal).done;
      if (rt.signal.aborted) throw new InterruptedError('interrupted');
    }
  } finally {
    for (const s of sessions) s.close();
  }
}

async function snapshot(session: CliSession, target: string, live: Set<CliSession>, tracker: MigrationTracker): Promise<Snapshot> {
  try {
    const [jobs, migration] = await Promise.all([
      session.client.execute('query-jobs').then(jobsFrom),
      session.client.execute('query-migrate').then((reply) => tracker.update(reply, Date.now())),
    ]);
    return { target, jobs, migration };
  } catch (err) {
    if (!(err instanceof QmpError)) throw err;
    if (live.size === 1 && live.has(session)) throw err;
    live.delete(session);
    return { target, jobs: [], migration: migrationFrom(null), error: err.message };
  }
}
