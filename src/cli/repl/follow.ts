/**
 * `.wait [JOB|migration]` and `.jobs` in the REPL: the job or migration
 * shown with --wait's progress (output/progress.ts: a spinner with bar,
 * percent, rate and ETA on a terminal) and --jobs' table
 * (output/jobs-table.ts), followed by the library's follower (jobs/follow.ts).
 *
 * Unlike --wait, the REPL did not start the job: it only watches. It neither
 * completes, cancels nor dismisses anything; Ctrl-C (the `signal`) stops
 * following and the job goes on in QEMU. A job that reaches `ready` is
 * reported and handed back, as --wait does without --complete.
 */
import { InterruptedError, UsageError } from '../../errors.js';
import { MIGRATION_ACTIVE, MIGRATION_ENDED, jobsFrom, migrationFrom, type JobState, type MigrationState } from '../../jobs/model.js';
import { followJob, followMigration, type FollowOptions } from '../../jobs/follow.js';
import type { QmpClient } from '../../session.js';
import { internal } from '../core/internal.js';
import { renderJobsTable } from '../output/jobs-table.js';
import { notConvergingNote } from '../output/migration.js';
import { jobSample, migrationSample, progressReporter, type ProgressReporter, type ProgressStream } from '../output/progress.js';

/** --jobs' table, once: the lines to print. */
export async function jobsTable(client: QmpClient): Promise<string[]> {
  const [jobs, migration] = await Promise.all([
    internal(client, 'query-jobs', undefined, { internal: true }).then(jobsFrom),
    internal(client, 'query-migrate', undefined, { internal: true }).then(migrationFrom),
  ]);
  return renderJobsTable([{ target: '', jobs, migration }], false);
}

export interface Following {
  client: QmpClient;
  stream: ProgressStream;
  /** Ctrl-C: stop following. */
  signal: AbortSignal;
  /** The reporter, while one runs (events are shown through its note()). */
  onReporter(reporter: ProgressReporter | undefined): void;
}

/** Follows the job `id` (or the migration; none given: the only thing running) until it ends or Ctrl-C. */
export async function follow(id: string | undefined, f: Following): Promise<void> {
  const what = id ?? (await onlyOne(f.client));
  const thing = what === 'migration' ? 'the migration' : `job ${what}`;
  // The library's follower (jobs/follow.ts): woken at once by job and migration events, as in --wait.
  const options: FollowOptions = { intervalMs: f.stream.isTTY ? 200 : 500, signal: f.signal, finishQueries: true, internal: true };
  const progress = await progressReporter(f.stream);
  f.onReporter(progress);
  try {
    if (what === 'migration') {
      // The library's follower feeds the one migration model (rates, passes, converging), as --wait's does.
      const said = { notConverging: false };
      for await (const m of followMigration(f.client, options)) if (migrationStep(m, progress, said)) return;
      return;
    }
    let first = true;
    for await (const job of followJob(f.client, what, options)) {
      first = false;
      if (jobStep(job, progress)) return;
    }
    if (first) {
      const jobs = jobsFrom(await internal(f.client, 'query-jobs', undefined, { internal: true }));
      throw new UsageError(`no job '${what}' here${jobs.length ? ` (jobs: ${jobs.map((j) => j.id).join(', ')})` : ''}`);
    }
    progress.finish(true, `job ${what} is gone (ended and dismissed)`);
  } catch (err) {
    if (!(err instanceof InterruptedError) || !f.signal.aborted) throw err;
    progress.finish(false, `stopped following ${thing}`);
    throw new InterruptedError(`stopped following ${thing}: it goes on in QEMU`);
  } finally {
    progress.finish(false, 'stopped');
    f.onReporter(undefined);
  }
}

/** What `.wait` alone follows: the one job, or the migration when no job runs. */
async function onlyOne(client: QmpClient): Promise<string> {
  const jobs = jobsFrom(await internal(client, 'query-jobs', undefined, { internal: true }));
  const running = jobs.filter((j) => j.status !== 'concluded' && j.status !== 'null');
  if (running.length === 1) return (running[0] as JobState).id;
  if (running.length > 1) throw new UsageError(`${running.length} jobs run: .wait JOB names one (${running.map((j) => j.id).join(', ')})`);
  const migration = migrationFrom(await internal(client, 'query-migrate', undefined, { internal: true }));
  if (MIGRATION_ACTIVE.has(migration.status)) return 'migration';
  throw new UsageError('no job and no migration is running (.jobs shows what there is)');
}

/** One state of a job: true when following ends here. */
function jobStep(job: JobState, progress: ProgressReporter): boolean {
  const id = job.id;
  progress.update(jobSample(job));
  if (job.status === 'concluded' || job.status === 'null') {
    const ok = job.error === undefined;
    progress.finish(ok, ok ? `job ${id} ${job.status}` : `job ${id} failed: ${job.error}`);
    return true;
  }
  if (job.status === 'ready') {
    progress.finish(true, `job ${id} ready (in sync): job-complete id=${id} completes it`);
    return true;
  }
  if (job.status === 'pending') progress.note(`job ${id} is pending: job-finalize id=${id} finalizes it`);
  return false;
}

/** One state of the migration: true when following ends here (also at `none`: there is none to follow). */
function migrationStep(m: MigrationState, progress: ProgressReporter, said: { notConverging: boolean }): boolean {
  progress.update(migrationSample(m));
  if (m.converging === false && !said.notConverging) {
    said.notConverging = true;
    progress.note(notConvergingNote(m));
  }
  if (MIGRATION_ENDED.has(m.status) || m.status === 'none') {
    progress.finish(m.status === 'completed', `migration ${m.status}${m.error ? `: ${m.error}` : ''}`);
    return true;
  }
  return false;
}
