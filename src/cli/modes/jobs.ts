/**
 * --jobs: every job and the migration, refreshed every second: a table
 * redrawn in place on a terminal, an NDJSON snapshot per second otherwise
 * (and with --json). With several targets (or a glob), one session each: the
 * table gets a TARGET column and each snapshot a "target" member; a target
 * that cannot be reached or stops answering is its own error line (a row on
 * the table), and the summary line and exit code are every fan-out's
 * (core/fanout-report.ts). Until Ctrl-C, or with --until-done until nothing
 * is left anywhere.
 */
import { InterruptedError, QmpError, UsageError } from '../../errors.js';
import { MIGRATION_ACTIVE, MigrationTracker, jobsFrom, migrationFrom } from '../../jobs/model.js';
import { errorJson, reportFanOut } from '../core/fanout-report.js';
import { openSession, type CliSession, type Runtime } from '../core/session.js';
import { messageWithHint } from '../core/hints.js';
import { downtimeLimit } from '../core/internal.js';
import { pause } from '../core/pause.js';
import type { Mode } from '../options/decide.js';
import type { ExpandedTarget } from '../options/targets.js';
import { compactJson } from '../output/format.js';
import { renderJobsTable, type JobsSnapshot } from '../output/jobs-table.js';
import { migrationJson } from '../output/migration.js';

const INTERVAL_MS = 1000;

type Jobs = Extract<Mode, { kind: 'jobs' }>;

type Snapshot = JobsSnapshot;

/** A target as fan-out expanded it (options/targets.ts): a glob that matched nothing, or a name not found, is its error. */
type JobsTarget = Pick<ExpandedTarget, 'target' | 'address' | 'missing' | 'error'>;

export async function runJobsView(mode: Jobs, rt: Runtime, targets: readonly JobsTarget[], fanOut = false): Promise<void> {
  const { io } = rt;
  // The table says what the events would; event lines would break the redraw.
  const events = rt.common.verbose ? 'stderr' : 'none';
  const table = io.stdoutIsTTY && !mode.json;
  // A fan-out's target that cannot be reached, or stops answering, is its own
  // line (or row) and counts in the summary, as in every fan-out; with one
  // target it is the error.
  const failures = new Map<string, QmpError>();
  const fail = (target: string, err: unknown) => {
    // Ctrl-C ends the whole view, not one target.
    if (!(err instanceof QmpError) || !fanOut || (err instanceof InterruptedError && rt.signal.aborted)) throw err;
    failures.set(target, err);
    if (!table) io.out(compactJson({ time: new Date().toISOString(), target, error: errorJson(err) }));
  };
  const sessions = new Map<string, CliSession>();
  for (const t of targets) {
    if (t.error || t.missing) fail(t.target, t.error ?? new UsageError(`no socket matches ${t.target}`));
    else sessions.set(t.target, openSession(rt, t.address, { events, tag: fanOut ? t.target : undefined }));
  }
  let drawn = 0;
  // Rates and convergence need each target's history: one model per session, as --wait has.
  const trackers = new Map<string, MigrationTracker>();
  try {
    try {
      await Promise.all(
        [...sessions].map(async ([target, s]) => {
          try {
            await s.open();
            trackers.set(target, new MigrationTracker(await downtimeLimit(s.client)));
          } catch (err) {
            fail(target, err);
          }
        }),
      );
      for (;;) {
        const live = [...trackers.keys()].filter((target) => !failures.has(target));
        const polled = new Map<string, Snapshot>();
        await Promise.all(
          live.map(async (target) => {
            try {
              polled.set(target, await snapshot(sessions.get(target) as CliSession, target, trackers.get(target) as MigrationTracker));
            } catch (err) {
              fail(target, err);
            }
          }),
        );
        // In the order given (globs sorted); on the table a failed target keeps its error row.
        const snapshots = targets.flatMap((t) => polled.get(t.target) ?? []);
        const shown = targets.flatMap((t): Snapshot[] => {
          const failure = failures.get(t.target);
          if (failure) return table ? [{ target: t.target, jobs: [], migration: migrationFrom(null), error: messageWithHint(failure) }] : [];
          const s = polled.get(t.target);
          return s ? [s] : [];
        });
        if (table) {
          const lines = renderJobsTable(shown, fanOut);
          // Up over the last table, then draw the new one over it.
          if (drawn) io.control(`\x1b[${drawn}A\r\x1b[J`);
          for (const line of lines) io.out(line);
          drawn = lines.length;
        } else {
          for (const s of snapshots) {
            io.out(compactJson({ time: new Date().toISOString(), ...(fanOut ? { target: s.target } : {}), jobs: s.jobs, migration: migrationJson(s.migration) }));
          }
        }
        const idle = snapshots.every((s) => s.jobs.length === 0 && !MIGRATION_ACTIVE.has(s.migration.status));
        if ((mode.untilDone && idle) || snapshots.length === 0) break;
        await pause(INTERVAL_MS, rt.signal).done;
        if (rt.signal.aborted) throw new InterruptedError('interrupted');
      }
    } catch (err) {
      // Ctrl-C is how a view without --until-done ends: the summary still says who failed.
      if (fanOut && err instanceof InterruptedError) await reportFanOut(io, targets.map((t) => ({ target: t.target, error: failures.get(t.target) })));
      throw err;
    }
    if (fanOut) await reportFanOut(io, targets.map((t) => ({ target: t.target, error: failures.get(t.target) })));
  } finally {
    for (const s of sessions.values()) s.close();
  }
}

async function snapshot(session: CliSession, target: string, tracker: MigrationTracker): Promise<Snapshot> {
  const [jobs, migration] = await Promise.all([
    session.client.execute('query-jobs').then(jobsFrom),
    session.client.execute('query-migrate').then((reply) => tracker.update(reply, Date.now())),
  ]);
  return { target, jobs, migration };
}
