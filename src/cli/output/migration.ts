/**
 * A migration's progress (jobs/migration.ts) as every view shows it: the
 * same names in --wait's progress (spinner and NDJSON) and in --jobs (table
 * and NDJSON).
 */
import type { MigrationProgress } from '../../jobs/migration.js';
import { bytes, duration } from './bytes.js';

/** The NDJSON form: the model's fields, rounded (percent to 0.1, rates and ETA to integers). */
export function migrationJson(p: MigrationProgress): Record<string, unknown> {
  const round = (n: number) => (Number.isFinite(n) ? Math.round(n) : n);
  return {
    ...p,
    percent: Number.isFinite(p.percent) ? Math.round(p.percent * 10) / 10 : p.percent,
    rate: round(p.rate),
    'dirty-rate': round(p['dirty-rate']),
    eta: p.eta === null ? null : round(p.eta),
  };
}

/** What the migration is doing, in words: `remaining 39.1 MiB  rate 5.0 MiB/s  dirty-rate ...`. */
export function migrationDetails(p: MigrationProgress): string {
  const ms = (n: number) => (n < 1000 ? `${Math.round(n)}ms` : `${(n / 1000).toFixed(1)}s`);
  const parts = [
    `remaining ${bytes(p.remaining)}`,
    `rate ${bytes(p.rate)}/s`,
    `dirty-rate ${bytes(p['dirty-rate'])}/s`,
    `passes ${p.passes}`,
    p.converging === false ? 'not converging' : p.converging ? 'converging' : '',
    p['expected-downtime'] !== null && p.status !== 'completed' ? `expected-downtime ${ms(p['expected-downtime'])}` : '',
    p.downtime !== null ? `downtime ${ms(p.downtime)}` : '',
    p.status === 'completed' || !['setup', 'active'].includes(p.status) ? '' : `eta ${p.eta === null ? '-' : duration(p.eta)}`,
  ];
  return parts.filter(Boolean).join('  ');
}

/** Said once when a migration stops converging (--wait, the shell's .wait): why, and the ways out. */
export function notConvergingNote(p: MigrationProgress): string {
  return (
    `the migration is not converging: the guest dirties memory about as fast as it is sent (${bytes(p['dirty-rate'])}/s of ${bytes(p.rate)}/s); ` +
    'raise max-bandwidth or downtime-limit (migrate-set-parameters), turn on auto-converge (migrate-set-capabilities), or cancel it (migrate_cancel)'
  );
}
