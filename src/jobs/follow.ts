/**
 * A block job or a migration followed to its end, as an async iterable of
 * its states: `for await (const job of followJob(client, 'backup0')) ...`.
 *
 * query-jobs / query-migrate give the numbers; JOB_STATUS_CHANGE,
 * BLOCK_JOB_* and MIGRATION events wake the loop at once, otherwise it
 * polls every `intervalMs`. Following only reads: it neither completes,
 * dismisses nor cancels anything (the CLI's --wait does that on top).
 */
import { InterruptedError } from '../errors.js';
import type { EventMessage } from '../protocol/messages.js';
import type { QmpClient } from '../session.js';
import type { ExecuteOptions } from '../session-types.js';
import { MigrationTracker, type MigrationProgress } from './migration.js';
import { jobsFrom, MIGRATION_ENDED, type JobState } from './model.js';
import { delayMs } from '../timeouts.js';

export interface FollowOptions {
  /** Stops following with an AbortError (the job goes on in QEMU). */
  signal?: AbortSignal;
  /** Poll interval when no event comes, in ms (default 500; 0 to 2^31-1: see timeouts.ts). */
  intervalMs?: number;
  /**
   * On `signal`, a query in flight is still waited for (to its reply or its
   * timeout) instead of abandoned. Default false. The CLI sets it: its
   * first Ctrl-C unwinds in order, a second one ends the process at once.
   */
  finishQueries?: boolean;
  /** Flags the follower's queries as ExecuteOptions.internal (a tool's own look-ups, marked on the `wire` event). */
  internal?: boolean;
  /**
   * followMigration: the progress model fed each reply (rates and passes need
   * the history; give the same one to follow again without losing it).
   * Default: a new one, judging convergence by QEMU's own downtime-limit.
   */
  tracker?: MigrationTracker;
}

/** The states in which a job has ended (JobStatus). */
const JOB_ENDED = new Set(['concluded', 'null']);

/**
 * Yields the job's state at each change (and at each poll while it runs),
 * ending after `concluded`, or when the job is gone (dismissed). Its
 * `error` says why a job failed. A mirror that reaches `ready` goes on
 * being yielded until someone completes or cancels it.
 */
export async function* followJob(client: QmpClient, id: string, options: FollowOptions = {}): AsyncGenerator<JobState, void, undefined> {
  yield* follow(client, /^(JOB_STATUS_CHANGE|BLOCK_JOB_)/, options, async (signal) => {
    const jobs = jobsFrom(await client.execute('query-jobs', undefined, queryOptions(signal, options)));
    const job = jobs.find((j) => j.id === id);
    return job ? { state: job, ended: JOB_ENDED.has(job.status) } : undefined;
  });
}

/**
 * Yields the migration's progress (jobs/migration.ts: percent, rate,
 * dirty-rate, passes, converging, ETA) until it is completed, failed or
 * cancelled (its `error` says why it failed).
 */
export async function* followMigration(client: QmpClient, options: FollowOptions = {}): AsyncGenerator<MigrationProgress, void, undefined> {
  const querySignal = options.finishQueries ? undefined : options.signal;
  const tracker = options.tracker ?? new MigrationTracker(await downtimeLimit(client, queryOptions(querySignal, options)));
  yield* follow(client, /^MIGRATION/, options, async (signal) => {
    const m = tracker.update(await client.execute('query-migrate', undefined, queryOptions(signal, options)), Date.now());
    return { state: m, ended: MIGRATION_ENDED.has(m.status) };
  });
}

/** QEMU's downtime-limit in ms (query-migrate-parameters); 300, its default, when it does not say. */
async function downtimeLimit(client: QmpClient, options: ExecuteOptions): Promise<number> {
  const p = await client.execute('query-migrate-parameters', undefined, options).catch(() => undefined);
  const v = typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>)['downtime-limit'] : undefined;
  return typeof v === 'number' && v > 0 ? v : typeof v === 'bigint' && v > 0n ? Number(v) : 300;
}

function queryOptions(signal: AbortSignal | undefined, options: FollowOptions): ExecuteOptions {
  return { ...(signal ? { signal } : {}), ...(options.internal ? { internal: true } : {}) };
}

async function* follow<T>(
  client: QmpClient,
  wakers: RegExp,
  options: FollowOptions,
  poll: (signal: AbortSignal | undefined) => Promise<{ state: T; ended: boolean } | undefined>,
): AsyncGenerator<T, void, undefined> {
  const { signal } = options;
  const querySignal = options.finishQueries ? undefined : signal;
  const interval = delayMs('intervalMs', options.intervalMs, 500);
  let wake: (() => void) | undefined;
  let woken = false;
  const onEvent = (e: EventMessage) => {
    if (!wakers.test(e.event)) return;
    woken = true;
    wake?.();
  };
  const aborted = () => new InterruptedError('stopped following: aborted (it goes on in QEMU)', { cause: signal?.reason });
  if (signal?.aborted) throw aborted();
  client.on('event', onEvent);
  try {
    let last: string | undefined;
    for (;;) {
      woken = false;
      const found = await poll(querySignal);
      if (!found) return;
      const shown = JSON.stringify(found.state);
      if (shown !== last || !found.ended) yield found.state;
      last = shown;
      if (found.ended) return;
      if (signal?.aborted) throw aborted();
      if (!woken) {
        await new Promise<void>((resolve, reject) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            wake = undefined;
          };
          const timer = setTimeout(() => {
            done();
            resolve();
          }, interval);
          const onAbort = () => {
            done();
            reject(aborted());
          };
          wake = () => {
            done();
            resolve();
          };
          signal?.addEventListener('abort', onAbort, { once: true });
        });
      }
    }
  } finally {
    client.off('event', onEvent);
  }
}
