/**
 * --jobs: every job and the migration on the VM, refreshed every second: a
 * table redrawn in place on a terminal, an NDJSON snapshot per second
 * otherwise. Until Ctrl-C, or with --until-done until nothing is left.
 */
import { InterruptedError } from '../errors.js';
import { MIGRATION_ACTIVE, jobsFrom, migrationFrom, type JobState, type MigrationState } from '../jobs/model.js';
import { bytes } from './progress.js';
import type { Io } from './io.js';
import type { CliOptions } from './program.js';
import { cliSession } from './session.js';

const INTERVAL_MS = 1000;

export async function runJobsView(options: CliOptions, io: Io): Promise<void> {
  // The table says what the events would; event lines would break the redraw.
  const session = cliSession(options, io, { events: options.verbose ? 'stderr' : 'none' });
  const tty = Boolean(process.stdout.isTTY);
  let drawn = 0;
  try {
    await session.open();
    for (;;) {
      const [jobs, migration] = await Promise.all([
        session.client.execute('query-jobs').then(jobsFrom),
        session.client.execute('query-migrate').then(migrationFrom),
      ]);
      const migrating = MIGRATION_ACTIVE.has(migration.status);
      if (tty) {
        const lines = table(jobs, migration, migrating);
        // Up over the last table, then draw the new one over it.
        process.stdout.write(`${drawn ? `\x1b[${drawn}A\r\x1b[J` : ''}${lines.join('\n')}\n`);
        drawn = lines.length;
      } else {
        io.out(JSON.stringify({ time: new Date().toISOString(), jobs, migration }));
      }
      if (options.untilDone && jobs.length === 0 && !migrating) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, INTERVAL_MS);
        session.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (session.signal.aborted) throw new InterruptedError('interrupted');
    }
  } finally {
    session.close();
  }
}

function table(jobs: JobState[], m: MigrationState, migrating: boolean): string[] {
  const rows = [['ID', 'TYPE', 'STATUS', 'PROGRESS', 'DONE', 'TOTAL']];
  for (const j of jobs) {
    const pct = j.total > 0 ? `${((100 * j.done) / j.total).toFixed(1)}%` : '-';
    rows.push([j.id, j.type, j.status + (j.error ? ` (${j.error})` : ''), pct, bytes(j.done), bytes(j.total)]);
  }
  if (migrating || m.status !== 'none') {
    const pct = m.total > 0 ? `${((100 * m.transferred) / m.total).toFixed(1)}%` : '-';
    rows.push(['-', 'migration', m.status, pct, bytes(m.transferred), bytes(m.total)]);
  }
  if (rows.length === 1) return ['no jobs, no migration'];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ').trimEnd());
}
