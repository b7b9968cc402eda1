/**
 * The --jobs table on a terminal: one row per job and one for the migration,
 * with a TARGET column when there are several. Every cell is peer text made
 * inert, kept on its row.
 */
import { MIGRATION_ACTIVE, type JobState, type MigrationState } from '../../jobs/model.js';
import { inert } from './inert.js';
import { bytes } from './progress.js';

/** What one target's jobs and migration looked like at one poll. */
export interface JobsSnapshot {
  target: string;
  jobs: JobState[];
  migration: MigrationState;
  error?: string;
}

export function renderJobsTable(snapshots: readonly JobsSnapshot[], several: boolean): string[] {
  const head = ['ID', 'TYPE', 'STATUS', 'PROGRESS', 'DONE', 'TOTAL'];
  const rows: string[][] = [several ? ['TARGET', ...head] : head];
  const add = (target: string, row: string[]) => rows.push(several ? [target, ...row] : row);
  for (const s of snapshots) {
    if (s.error) add(s.target, ['-', '-', `error: ${s.error}`, '-', '-', '-']);
    for (const j of s.jobs) {
      const pct = j.total > 0 ? `${((100 * j.done) / j.total).toFixed(1)}%` : '-';
      add(s.target, [j.id, j.type, j.status + (j.error ? ` (${j.error})` : ''), pct, bytes(j.done), bytes(j.total)]);
    }
    const m = s.migration;
    if (MIGRATION_ACTIVE.has(m.status) || m.status !== 'none') {
      const pct = m.total > 0 ? `${((100 * (m.total - m.remaining)) / m.total).toFixed(1)}%` : '-';
      add(s.target, ['-', 'migration', m.status, pct, bytes(m.transferred), bytes(m.total)]);
    }
  }
  if (rows.length === 1) return ['no jobs, no migration'];
  // Peer text (ids, states, errors) is shown, never live, and stays on its row.
  const safe = rows.map((r) => r.map((cell) => inert(cell).replace(/[\n\t]/g, ' ')));
  const widths = safe[0]!.map((_, c) => Math.max(...safe.map((r) => (r[c] ?? '').length)));
  return safe.map((r) => r.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ').trimEnd());
}
