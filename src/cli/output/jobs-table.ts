/**
 * The --jobs table on a terminal: one row per job and one for the migration,
 * with a TARGET column when there are several. Every cell is peer text made
 * inert, kept on its row.
 */
import type { JobState, MigrationProgress } from '../../jobs/model.js';
import { bytes } from './bytes.js';
import { inert } from './inert.js';
import { migrationDetails } from './migration.js';

/** What one target's jobs and migration looked like at one poll. */
export interface JobsSnapshot {
  target: string;
  jobs: JobState[];
  migration: MigrationProgress;
  error?: string;
}

export function renderJobsTable(snapshots: readonly JobsSnapshot[], several: boolean): string[] {
  const head = ['ID', 'TYPE', 'STATUS', 'PROGRESS', 'DONE', 'TOTAL'];
  // A migration's own numbers (rate, dirty-rate, passes, converging...) get a last column.
  const details = snapshots.some((s) => s.migration.status !== 'none');
  if (details) head.push('DETAILS');
  const rows: string[][] = [several ? ['TARGET', ...head] : head];
  const add = (target: string, row: string[]) => rows.push(several ? [target, ...row] : row);
  for (const s of snapshots) {
    if (s.error) add(s.target, ['-', '-', `error: ${s.error}`, '-', '-', '-', ...(details ? [''] : [])]);
    for (const j of s.jobs) {
      const pct = j.total > 0 ? `${((100 * j.done) / j.total).toFixed(1)}%` : '-';
      add(s.target, [j.id, j.type, j.status + (j.error ? ` (${j.error})` : ''), pct, bytes(j.done), bytes(j.total), ...(details ? [''] : [])]);
    }
    const m = s.migration;
    if (m.status !== 'none') {
      // DONE of TOTAL is sent of (sent + remaining): the percent, the same as --wait's.
      const toSend = m.transferred + m.remaining;
      add(s.target, ['-', 'migration', m.status + (m.error ? ` (${m.error})` : ''), `${m.percent.toFixed(1)}%`, bytes(m.transferred), bytes(toSend), migrationDetails(m)]);
    }
  }
  if (rows.length === 1) return ['no jobs, no migration'];
  // Peer text (ids, states, errors) is shown, never live, and stays on its row.
  const safe = rows.map((r) => r.map((cell) => inert(cell).replace(/[\n\t]/g, ' ')));
  const widths = safe[0]!.map((_, c) => Math.max(...safe.map((r) => (r[c] ?? '').length)));
  return safe.map((r) => r.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ').trimEnd());
}
