/**
 * Jobs and migration as QEMU reports them (qapi/job.json JobInfo,
 * qapi/migration.json MigrationInfo), reduced to what following them needs.
 * Pure.
 */
import { stringifyJson, type JsonValue } from '../protocol/json.js';

import type { MigrationProgress } from './migration.js';

export { MIGRATION_ACTIVE, MIGRATION_ENDED, MigrationTracker, migrationFrom, type MigrationProgress } from './migration.js';

/** A migration's state, as followMigration yields it and migrationFrom reads one reply: the progress model's. */
export type MigrationState = MigrationProgress;

export interface JobState {
  id: string;
  type: string;
  /** JobStatus: created, running, paused, ready, standby, waiting, pending, aborting, concluded, null. */
  status: string;
  done: number;
  total: number;
  error?: string;
}

/** A peer's value as text: a string as it is, anything else as its JSON (String() throws on {"toString": 1}). */
const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? 'undefined' : stringifyJson(v));
const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function jobsFrom(reply: JsonValue): JobState[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((j) => {
    const o = obj(j);
    return {
      id: text(o.id),
      type: text(o.type),
      status: text(o.status),
      done: num(o['current-progress']),
      total: num(o['total-progress']),
      ...(typeof o.error === 'string' ? { error: o.error } : {}),
    };
  });
}

/**
 * Commands that start a job, and where the job's id comes from when
 * `job-id` is not given (QEMU defaults it to the device / node name).
 */
export const JOB_COMMANDS: Record<string, string | undefined> = {
  'drive-mirror': 'device',
  'blockdev-mirror': 'device',
  'drive-backup': 'device',
  'blockdev-backup': 'device',
  'block-commit': 'device',
  'block-stream': 'device',
  'blockdev-create': undefined,
  'x-blockdev-amend': undefined,
};

/** Jobs that reach `ready` and mirror until completed. */
export const MIRRORS = new Set(['drive-mirror', 'blockdev-mirror', 'block-commit']);

/** The job commands that take `auto-dismiss` (blockdev-create's job always waits to be dismissed). */
export const TAKES_AUTO_DISMISS = new Set(['drive-mirror', 'blockdev-mirror', 'drive-backup', 'blockdev-backup', 'block-commit', 'block-stream']);

/** The job-* family: they act on an existing job named by `id`. */
export const JOB_VERBS = new Set(['job-pause', 'job-resume', 'job-cancel', 'job-complete', 'job-dismiss', 'job-finalize']);

/**
 * What a command starts (or acts on) that can be followed to its end: a job
 * (JOB_COMMANDS, JOB_VERBS), a migration (`migrate`), or nothing.
 */
export function followedAfter(command: string): 'job' | 'migration' | undefined {
  if (command === 'migrate') return 'migration';
  // Own keys only: `constructor` starts no job.
  return Object.hasOwn(JOB_COMMANDS, command) || JOB_VERBS.has(command) ? 'job' : undefined;
}

/** Every command followedAfter() knows, for messages and docs. */
export const FOLLOWED_COMMANDS: readonly string[] = [...Object.keys(JOB_COMMANDS), ...JOB_VERBS, 'migrate'];

/** Progress: an exponentially weighted rate and the ETA it gives. Pure. */
export class RateTracker {
  private last: { at: number; done: number } | undefined;
  private rate = 0;

  /** Feeds a sample (ms, units done); returns units per second. */
  sample(at: number, done: number): number {
    if (this.last && at > this.last.at && done >= this.last.done) {
      const instant = ((done - this.last.done) * 1000) / (at - this.last.at);
      this.rate = this.rate === 0 ? instant : 0.7 * this.rate + 0.3 * instant;
    }
    if (!this.last || at > this.last.at) this.last = { at, done };
    return this.rate;
  }

  /** Seconds left at the current rate, or undefined when unknown. */
  eta(done: number, total: number): number | undefined {
    if (this.rate <= 0 || total <= 0 || done >= total) return done >= total && total > 0 ? 0 : undefined;
    return (total - done) / this.rate;
  }
}
