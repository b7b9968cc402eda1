/**
 * --wait: send a command that starts a job (drive-mirror, blockdev-backup,
 * blockdev-create, job-*, ...) or a migration, then follow it to its end with
 * live progress, and print its final state.
 *
 * Following is the library's (src/jobs/follow.ts: query-jobs / query-migrate,
 * woken at once by JOB_STATUS_CHANGE, BLOCK_JOB_* and MIGRATION events); this
 * adds the CLI's part: progress, completing, dismissing, cancelling on
 * interrupt, the deadline.
 */
import { CommandError, InterruptedError, TimeoutError, UsageError } from '../../errors.js';
import {
  JOB_COMMANDS,
  JOB_VERBS,
  TAKES_AUTO_DISMISS,
  MIGRATION_ENDED,
  followedAfter,
  MigrationTracker,
  jobsFrom,
  type JobState,
} from '../../jobs/model.js';
import { followJob as jobStates, followMigration as migrationStates, type FollowOptions } from '../../jobs/follow.js';
import type { JsonValue } from '../../protocol/json.js';
import type { EventMessage, JsonObject } from '../../protocol/messages.js';
import type { Action } from '../core/action.js';
import { send } from '../core/gate.js';
import { downtimeLimit, internal, type InternalCommand } from '../core/internal.js';
import { withSession, type CliSession, type Runtime } from '../core/session.js';
import { refuseWait, type Mode } from '../options/decide.js';
import { notConvergingNote } from '../output/migration.js';
import { migrationSample, progressReporter, type ProgressReporter, type ProgressStream } from '../output/progress.js';
import { formatValue } from '../output/value.js';

type Wait = Extract<Mode, { kind: 'wait' }>;

export async function runWait(mode: Wait, rt: Runtime, target: string): Promise<void> {
  await followOn(mode, rt, target, rt.io.stderr, (summary) => rt.io.out(formatValue(summary, mode.format, rt.io)));
}

/**
 * Sends the command and follows what it starts to its end. `emit` gets the
 * final state (also when the job failed: then this throws after it).
 */
export async function followOn(
  mode: Wait,
  rt: Runtime,
  target: string,
  progressStream: ProgressStream,
  emit: (summary: JsonValue) => void,
  tag?: string,
  /** Fan-out: fills in the target's placeholders once the session is open. */
  prepare: (session: CliSession, action: Action) => Promise<Action> = async (_, action) => action,
): Promise<void> {
  // The progress lines say what the events would (and event lines would garble a spinner).
  const events = rt.common.verbose ? 'stderr' : 'none';
  await withSession(rt, target, { events, tag }, async (session) => {
    await session.open();
    const prepared = await prepare(session, { kind: 'qmp', call: mode.call });
    const request = await session.schema.request((prepared as Extract<Action, { kind: 'qmp' }>).call);
    const follower = new Follower(session, mode, rt, progressStream, emit);
    try {
      // Refused before connecting when it starts neither (options/decide.ts).
      const follows = followedAfter(request.execute) ?? refuseWait(request.execute);
      if (follows === 'migration') await follower.migration(request.arguments ?? {});
      else await follower.job(request.execute, request.arguments ?? {});
    } finally {
      // Whatever ended the wait (QEMU gone, a timeout, a bug), the spinner stops with it.
      follower.stop();
    }
  });
}

class Follower {
  private readonly deadline: number | undefined;

  private readonly timeoutMs: number;
  private progress: ProgressReporter | undefined;

  /** Stops the progress display (a no-op when it already finished). */
  stop(): void {
    this.progress?.finish(false, 'stopped');
  }

  constructor(
    private readonly session: CliSession,
    private readonly options: Wait,
    rt: Runtime,
    private readonly progressStream: ProgressStream,
    private readonly emit: (summary: JsonValue) => void,
  ) {
    const { timeoutGiven, timeoutMs } = rt.common;
    this.timeoutMs = timeoutMs;
    this.deadline = timeoutGiven && timeoutMs > 0 ? Date.now() + timeoutMs : undefined;
  }

  private get interval(): number {
    return this.progressStream.isTTY ? 200 : 500;
  }

  private run(command: InternalCommand, args?: JsonObject) {
    return internal(this.session.client, command, args);
  }

  private checkDeadline(what: string, hint = ''): void {
    if (this.deadline !== undefined && Date.now() > this.deadline) {
      throw new TimeoutError(`${what} did not end within ${this.timeoutMs / 1000}s; it goes on in QEMU${hint}`);
    }
  }

  async job(command: string, args: JsonObject): Promise<void> {
    // Jobs run with QEMU's own auto-dismiss: whatever ends qmpsh (Ctrl-C,
    // --timeout, SIGTERM, SIGKILL, a closed terminal), nothing it started is
    // left concluded, blocking its id. The final numbers and error come from
    // the job's BLOCK_JOB_COMPLETED / BLOCK_JOB_CANCELLED event, which QEMU
    // sends before it dismisses the job (and so before the query-jobs reply
    // that no longer lists it). blockdev-create's job (and one the user
    // starts with auto-dismiss=false) waits for job-dismiss: qmpsh dismisses
    // it when it sees it end.
    const started = Object.hasOwn(JOB_COMMANDS, command);
    const dismiss = (started && (!TAKES_AUTO_DISMISS.has(command) || args['auto-dismiss'] === false)) || JOB_VERBS.has(command);
    const ends = new Map<string, JobState>();
    const onEnd = (e: EventMessage) => {
      if (e.event !== 'BLOCK_JOB_COMPLETED' && e.event !== 'BLOCK_JOB_CANCELLED') return;
      const d = e.data ?? {};
      const ended = jobsFrom([{ id: d.device ?? '', type: d.type ?? 'job', status: 'concluded', 'current-progress': d.offset ?? 0, 'total-progress': d.len ?? 0, ...(d.error !== undefined ? { error: d.error } : {}) }])[0] as JobState;
      // QEMU's own words for it (strerror(ECANCELED)), as query-jobs would say.
      if (e.event === 'BLOCK_JOB_CANCELLED' && ended.error === undefined) ended.error = 'Operation canceled';
      ends.set(ended.id, ended);
    };
    this.session.client.on('event', onEnd);
    try {
      await this.followJob(command, args, dismiss, ends);
    } finally {
      this.session.client.off('event', onEnd);
    }
  }

  private async followJob(command: string, args: JsonObject, dismiss: boolean, ends: Map<string, JobState>): Promise<void> {
    const before = new Set(jobsFrom(await this.run('query-jobs')).map((j) => j.id));
    // The user's command goes through the gate, as in every mode.
    await send(this.session, { kind: 'request', request: { execute: command, arguments: args } });
    const idSource = JOB_COMMANDS[command];
    let id = String(
      args['job-id'] ?? (JOB_VERBS.has(command) ? args.id : idSource ? args[idSource] : undefined) ?? '',
    );
    if (!id) {
      const fresh = jobsFrom(await this.run('query-jobs')).filter((j) => !before.has(j.id));
      if (fresh.length !== 1) throw new UsageError(`cannot tell which job '${command}' started: give job-id=...`);
      id = (fresh[0] as JobState).id;
    }

    const progress = await progressReporter(this.progressStream);
    this.progress = progress;
    const notes = new Set<string>();
    const note = (key: string, text: string) => {
      if (!notes.has(key)) progress.note(text);
      notes.add(key);
    };
    let last: JobState | undefined;
    let interrupted = false;
    for (;;) {
      try {
        for await (const job of jobStates(this.session.client, id, this.following(interrupted))) {
          last = job;
          progress.update({ label: `${job.type} ${job.id}`, status: job.status, done: job.done, total: job.total });
          if (job.status === 'concluded') {
            if (dismiss) await this.run('job-dismiss', { id }).catch(() => undefined);
            return this.endJob(progress, job, dismiss, interrupted);
          }
          if (job.status === 'ready') {
            if (this.options.complete) {
              if (!notes.has('completing')) await this.run('job-complete', { id });
              note('completing', `job ${id} is ready: completing it (job-complete)`);
            } else if (command !== 'job-complete') {
              // In sync: hand it back, releasing the monitor the next command needs.
              note('ready', `job ${id} is ready (in sync) and keeps mirroring: complete it with \`qmpsh ${this.session.target} job-complete id=${id}\` (or --complete next time)`);
              progress.finish(true, `job ${id} ready`);
              this.emit(job as unknown as JsonObject);
              return;
            }
          }
          if (job.status === 'pending') note('pending', `job ${id} is pending: finalize it with \`qmpsh ${this.session.target} job-finalize id=${id}\``);
          if (job.status === 'paused') note('paused', `job ${id} is paused: resume it with \`qmpsh ${this.session.target} job-resume id=${id}\``);
          this.checkDeadline(`job ${id}`, dismiss && !JOB_VERBS.has(command) ? ` (when it ends, dismiss it: job-dismiss id=${id})` : '');
        }
        // Gone: dismissed by QEMU (its end event says how it ended), or by someone else.
        const ended = ends.get(id);
        if (ended) return this.endJob(progress, { ...ended, type: last?.type ?? ended.type }, true, interrupted);
        return this.endJob(progress, last ?? { id, type: 'job', status: 'null', done: 0, total: 0 }, false, interrupted);
      } catch (err) {
        if (!this.interruptedNow(err, interrupted)) throw err;
        if (!this.options.cancelOnInterrupt) {
          progress.finish(false, `stopped following job ${id}`);
          throw new InterruptedError(
            `stopped following job ${id}: it is still running in QEMU (cancel it with job-cancel id=${id}${dismiss && !JOB_VERBS.has(command) ? `; when it ends, dismiss it with job-dismiss id=${id}` : ''})`,
          );
        }
        interrupted = true;
        note('cancel', `interrupted: cancelling job ${id}`);
        await this.run('job-cancel', { id }).catch(() => undefined);
      }
    }
  }

  /**
   * How the library's follower is driven: stopped by the run's signal until
   * the run is interrupted (then, cancelling, it follows to the end). A poll
   * in flight is waited for, as before: a second signal ends the run at once.
   */
  private following(interrupted: boolean): FollowOptions {
    return { intervalMs: this.interval, finishQueries: true, ...(interrupted ? {} : { signal: this.session.signal }) };
  }

  /** The follower stopped because the run was interrupted (a first time). */
  private interruptedNow(err: unknown, interrupted: boolean): boolean {
    return err instanceof InterruptedError && this.session.signal.aborted && !interrupted;
  }

  private endJob(progress: ProgressReporter, job: JobState, dismissed: boolean, interrupted: boolean): void {
    const summary = { ...job, ...(dismissed ? { dismissed: true } : {}) };
    const failed = job.error !== undefined || interrupted;
    if (!failed && job.total > 0) {
      progress.update({ label: `${job.type} ${job.id}`, status: job.status, done: job.done, total: job.total });
    }
    progress.finish(!failed, failed ? `job ${job.id} failed` : `job ${job.id} ${job.status}`);
    this.emit(summary as unknown as JsonObject);
    if (interrupted) throw new InterruptedError(`job ${job.id} was cancelled on interrupt`);
    if (job.error !== undefined) throw new CommandError(job.type, 'JobFailed', `job ${job.id}: ${job.error}`);
  }

  async migration(args: JsonObject): Promise<void> {
    await send(this.session, { kind: 'request', request: { execute: 'migrate', arguments: args } });
    const progress = await progressReporter(this.progressStream);
    this.progress = progress;
    // One model for --wait, --jobs and the shell (jobs/migration.ts): it judges convergence against QEMU's downtime limit.
    const tracker = new MigrationTracker(await downtimeLimit(this.session.client));
    let interrupted = false;
    let warned = false;
    for (;;) {
      try {
        // One model for the whole run (its rates and passes), also after a cancel restarts the follower.
        for await (const m of migrationStates(this.session.client, { ...this.following(interrupted), tracker })) {
          progress.update(migrationSample(m));
          if (m.converging === false && !warned) {
            warned = true;
            progress.note(notConvergingNote(m));
          }
          if (MIGRATION_ENDED.has(m.status)) {
            const ok = m.status === 'completed' && !interrupted;
            progress.finish(ok, `migration ${m.status}`);
            this.emit(await this.run('query-migrate'));
            if (interrupted) throw new InterruptedError('the migration was cancelled on interrupt');
            if (!ok) throw new CommandError('migrate', 'MigrationFailed', `migration ${m.status}${m.error ? `: ${m.error}` : ''}`);
            return;
          }
          this.checkDeadline('the migration');
        }
        return; // the library's follower ends only after an ended state, handled above
      } catch (err) {
        if (!this.interruptedNow(err, interrupted)) throw err;
        if (!this.options.cancelOnInterrupt) {
          progress.finish(false, 'stopped following the migration');
          throw new InterruptedError('stopped following the migration: it is still running in QEMU (cancel it with migrate_cancel)');
        }
        interrupted = true;
        progress.note('interrupted: cancelling the migration (migrate_cancel)');
        await this.run('migrate_cancel').catch(() => undefined);
      }
    }
  }
}
