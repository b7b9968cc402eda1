/**
 * `.wait [JOB|migration]` and `.jobs` in the REPL: the job or migration
 * shown with --wait's progress (output/progress.ts: a spinner with bar,
 * percent, rate and ETA on a terminal) and --jobs' table
 * (output/jobs-table.ts), polled with the same look-ups (core/internal.ts).
 *
 * Unlike --wait, the REPL did not start the job: it only watches. It neither
 * completes, cancels nor dismisses anything; Ctrl-C (the `signal`) stops
 * following and the job goes on in QEMU. A job that reaches `ready` is
 * reported and handed back, as --wait does without --complete.
 */
import { InterruptedError, UsageError } from '../../errors.js';
import { MIGRATION_ACTIVE, MIGRATION_ENDED, MigrationTracker, jobsFrom, migrationFrom, type JobState } from '../../jobs/model.js';
import type { EventMessage } from '../../protocol/messages.js';
import type { QmpClient } from '../../session.js';
import { downtimeLimit, internal } from '../core/internal.js';
import { pause } from '../core/pause.js';
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
  // Events about jobs and migration wake the poll at once, as in --wait.
  let wake: (() => void) | undefined;
  const onEvent = (e: EventMessage) => {
    if (/^(JOB_STATUS_CHANGE|BLOCK_JOB_|MIGRATION)/.test(e.event)) wake?.();
  };
  f.client.on('event', onEvent);
  // The migration's numbers need its history (rates, passes): one model for the whole follow, as --wait has.
  const tracker = what === 'migration' ? new MigrationTracker(await downtimeLimit(f.client)) : undefined;
  const said = { notConverging: false };
  const progress = await progressReporter(f.stream);
  f.onReporter(progress);
  try {
    for (let first = true; ; first = false) {
      const ended = tracker ? await migrationStep(f.client, progress, tracker, said) : await jobStep(f.client, what, progress, first);
      if (ended !== undefined) return;
      if (f.signal.aborted) {
        const thing = what === 'migration' ? 'the migration' : `job ${what}`;
        progress.finish(false, `stopped following ${thing}`);
        throw new InterruptedError(`stopped following ${thing}: it goes on in QEMU`);
      }
      const p = pause(f.stream.isTTY ? 200 : 500, f.signal);
      wake = p.wake;
      await p.done;
      wake = undefined;
    }
  } finally {
    progress.finish(false, 'stopped');
    f.onReporter(undefined);
    f.client.off('event', onEvent);
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

/** One poll of a job: the text it ended with, or undefined while it goes on. */
async function jobStep(client: QmpClient, id: string, progress: ProgressReporter, first: boolean): Promise<string | undefined> {
  const jobs = jobsFrom(await internal(client, 'query-jobs', undefined, { internal: true }));
  const job = jobs.find((j) => j.id === id);
  if (!job) {
    if (first) throw new UsageError(`no job '${id}' here${jobs.length ? ` (jobs: ${jobs.map((j) => j.id).join(', ')})` : ''}`);
    progress.finish(true, `job ${id} is gone (ended and dismissed)`);
    return `job ${id} ended`;
  }
  progress.update(jobSample(job));
  if (job.status === 'concluded' || job.status === 'null') {
    const ok = job.error === undefined;
    progress.finish(ok, ok ? `job ${id} ${job.status}` : `job ${id} failed: ${job.error}`);
    return `job ${id} ${job.status}`;
  }
  if (job.status === 'ready') {
    progress.finish(true, `job ${id} ready (in sync): job-complete id=${id} completes it`);
    return `job ${id} ready`;
  }
  if (job.status === 'pending') progress.note(`job ${id} is pending: job-finalize id=${id} finalizes it`);
  return undefined;
}

async function migrationStep(
  client: QmpClient,
  progress: ProgressReporter,
  tracker: MigrationTracker,
  said: { notConverging: boolean },
): Promise<string | undefined> {
  const m = tracker.update(await internal(client, 'query-migrate', undefined, { internal: true }), Date.now());
  progress.update(migrationSample(m));
  if (m.converging === false && !said.notConverging) {
    said.notConverging = true;
    progress.note(notConvergingNote(m));
  }
  if (MIGRATION_ENDED.has(m.status) || m.status === 'none') {
    progress.finish(m.status === 'completed', `migration ${m.status}${m.error ? `: ${m.error}` : ''}`);
    return `migration ${m.status}`;
  }
  return undefined;
}
