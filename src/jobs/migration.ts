/**
 * One model of a migration's progress, for every view (a follower's progress
 * line, a jobs table), from successive query-migrate replies (qapi/migration.json
 * MigrationInfo, MigrationStats). Pure: the caller feeds replies, with the
 * time it got them.
 *
 * What QEMU's own numbers mean, and why they are not shown as they are
 * (recorded from 7.2 and 10.0, test/fixtures/migration/):
 * - `mbps` is megabits per second over the last interval (the issue saw
 *   "119.6 MiB/s" under a 20 MB/s cap); the rate here is the difference of
 *   `normal-bytes` (page payloads; `transferred`, all bytes sent, without it)
 *   over QEMU's own clock (`total-time`).
 * - `dirty-pages-rate` is pages per second: times `page-size` (4096 when absent).
 *   It is measured over the previous pass, so after the long first pass it
 *   says little: a guest rewriting 48 MiB at any speed shows 1.5 MB/s then.
 * - `remaining` is what the current pass has left; a new pass (dirty-sync-count
 *   goes up) starts with what the guest dirtied meanwhile. QEMU completes when
 *   it fits in `downtime-limit` at the current bandwidth: a migration
 *   converges only if each pass starts with clearly less than the one before.
 */
import type { JsonValue } from '../protocol/json.js';

/** A migration as every view shows it, under these names. */
export interface MigrationProgress {
  /** MigrationStatus: none, setup, active, completed, failed, cancelled, ... */
  status: string;
  /** transferred / (transferred + remaining), 0-100; 100 once completed. */
  percent: number;
  /** Bytes sent so far (ram.transferred). */
  transferred: number;
  /** Bytes this pass has left (ram.remaining). */
  remaining: number;
  /** Guest RAM (ram.total). */
  total: number;
  /** Bytes per second actually sent, over the last few seconds (the average once ended). */
  rate: number;
  /** Bytes per second the guest dirtied during the last pass. */
  'dirty-rate': number;
  /** Passes over guest RAM (ram.dirty-sync-count). */
  passes: number;
  /** Whether each pass leaves less to send: null until it can be told (before the third pass). */
  converging: boolean | null;
  /** What QEMU expects the final pause to last, ms (expected-downtime; null when it gives none). */
  'expected-downtime': number | null;
  /** How long the guest was paused at the end, ms (downtime, once completed). */
  downtime: number | null;
  /** Seconds to the end at the current rates: in the first pass, and once converging; else null. */
  eta: number | null;
  /** Milliseconds since the migration started (total-time). */
  elapsed: number;
  error?: string;
}

export const MIGRATION_ENDED = new Set(['completed', 'failed', 'cancelled']);
export const MIGRATION_ACTIVE = new Set(['setup', 'active', 'pre-switchover', 'device', 'postcopy-active', 'postcopy-paused', 'postcopy-recover', 'wait-unplug', 'cancelling', 'colo']);

const num = (v: unknown): number | undefined => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** How much a pass must shrink what remains (the next pass starts below this share of the last). */
const SHRINK = 0.8;
/** The rate is measured over this much of QEMU's time. */
const WINDOW_MS = 3000;

export class MigrationTracker {
  private samples: Array<{ t: number; sent: number }> = [];
  /** What remained when each pass was first seen (its largest: a pass only shrinks). */
  private passStart = new Map<number, number>();
  private lastElapsed = -1;

  /** @param downtimeLimitMs QEMU's downtime-limit (query-migrate-parameters; default 300). */
  constructor(private readonly downtimeLimitMs = 300) {}

  /** Feeds one query-migrate reply, got at `at` ms (used when QEMU gives no total-time). */
  update(reply: JsonValue, at: number): MigrationProgress {
    const o = obj(reply);
    const ram = obj(o.ram);
    const status = typeof o.status === 'string' ? o.status : 'none';
    const transferred = num(ram.transferred) ?? 0;
    const remaining = num(ram.remaining) ?? 0;
    const passes = num(ram['dirty-sync-count']) ?? 0;
    const elapsed = num(o['total-time']) ?? 0;
    const sent = num(ram['normal-bytes']) ?? transferred;
    const t = num(o['total-time']) ?? at;
    // A new migration (or none): forget the last one.
    if (elapsed < this.lastElapsed || !(MIGRATION_ACTIVE.has(status) || MIGRATION_ENDED.has(status))) this.reset();
    this.lastElapsed = elapsed;

    const rate = this.rate(t, sent, MIGRATION_ENDED.has(status) ? elapsed - (num(o['setup-time']) ?? 0) : undefined);
    const dirtyRate = (num(ram['dirty-pages-rate']) ?? 0) * (num(ram['page-size']) ?? 4096);
    if (passes > 0 && MIGRATION_ACTIVE.has(status)) this.passStart.set(passes, Math.max(this.passStart.get(passes) ?? 0, remaining));
    const converging = status === 'completed' ? true : this.converging(passes, rate, dirtyRate, remaining);
    const completed = status === 'completed';
    const percent = completed ? 100 : transferred + remaining > 0 ? (100 * transferred) / (transferred + remaining) : 0;
    // The ETA of the first pass is the bulk copy's; the second pass cannot tell
    // (its end only starts another); then only a converging migration has one.
    const gain = converging === true ? rate - dirtyRate : passes <= 1 ? rate : 0;
    const eta = completed ? 0 : MIGRATION_ACTIVE.has(status) && gain > 0 ? remaining / gain : null;
    const expected = num(o['expected-downtime']);
    const downtime = num(o.downtime);
    return {
      status,
      percent: Math.min(100, percent),
      transferred,
      remaining: completed ? 0 : remaining,
      total: num(ram.total) ?? 0,
      rate,
      'dirty-rate': dirtyRate,
      passes,
      converging,
      'expected-downtime': expected ?? null,
      downtime: downtime ?? null,
      eta,
      elapsed,
      ...(typeof o['error-desc'] === 'string' ? { error: o['error-desc'] } : {}),
    };
  }

  private reset(): void {
    this.samples = [];
    this.passStart.clear();
    this.lastElapsed = -1;
  }

  /** Bytes/s over the last WINDOW_MS of samples; the whole run's average when `overMs` (ended). */
  private rate(t: number, sent: number, overMs: number | undefined): number {
    if (overMs !== undefined) return overMs > 0 ? (sent * 1000) / overMs : 0;
    const last = this.samples.at(-1);
    if (!last || t > last.t) this.samples.push({ t, sent });
    while (this.samples.length > 2 && t - (this.samples[1] as { t: number }).t >= WINDOW_MS) this.samples.shift();
    const first = this.samples[0] as { t: number; sent: number };
    // One sample: the average since the start (total-time) is all there is.
    if (this.samples.length < 2) return t > 0 && sent > 0 ? (sent * 1000) / t : 0;
    return t > first.t && sent >= first.sent ? ((sent - first.sent) * 1000) / (t - first.t) : 0;
  }

  /**
   * Not converging when the guest dirties about as fast as QEMU sends, or when
   * a pass starts with nearly as much as the pass before while that is still
   * more than fits in the downtime limit. The first two passes cannot tell
   * (the dirty rate of pass 2 is measured over the whole first copy).
   */
  private converging(passes: number, rate: number, dirtyRate: number, remaining: number): boolean | null {
    if (passes < 3) return null;
    if (rate > 0 && dirtyRate >= SHRINK * rate) return false;
    const now = this.passStart.get(passes);
    const before = this.passStart.get(passes - 1);
    const fits = rate > 0 && (remaining * 1000) / rate <= this.downtimeLimitMs;
    if (now !== undefined && before !== undefined && now >= SHRINK * before && !fits) return false;
    return true;
  }
}

/** One reply, no history: for a snapshot taken once. */
export function migrationFrom(reply: JsonValue, at = Date.now()): MigrationProgress {
  return new MigrationTracker().update(reply, at);
}
