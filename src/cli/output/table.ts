/**
 * --table: one row per target. Nested objects become dotted columns
 * (query-version: QEMU.MAJOR, QEMU.MINOR, ..., PACKAGE); arrays and HMP text
 * are one cell; an error has its own column, so it does not widen the others.
 * Every cell is made inert (peer text) and, on a terminal, a row is cut to the
 * terminal's width.
 */
import type { JsonValue } from '../../protocol/json.js';
import { compactJson } from './format.js';
import { inert } from './inert.js';
import type { Io } from './io.js';

export interface TableRow {
  target: string;
  ok: boolean;
  value?: JsonValue | undefined;
  error?: string | undefined;
}

/** Depth past which nested objects stay one JSON cell. */
const MAX_DEPTH = 3;

function flatten(value: JsonValue, prefix: string, depth: number, into: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < MAX_DEPTH) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, depth + 1, into);
    return;
  }
  const key = prefix || 'RETURN';
  into.set(key, typeof value === 'string' ? value : compactJson(value));
}

export function renderTable(rows: readonly TableRow[], io: Io): string {
  const cells = rows.map((r) => {
    const m = new Map<string, string>();
    if (r.ok && r.value !== undefined) flatten(r.value, '', 0, m);
    return m;
  });
  const columns: string[] = [];
  for (const m of cells) for (const k of m.keys()) if (!columns.includes(k)) columns.push(k);
  const hasError = rows.some((r) => !r.ok);
  const header = ['TARGET', ...columns.map((c) => c.toUpperCase()), ...(hasError ? ['ERROR'] : [])];
  const body = rows.map((r, i) => [
    r.target,
    ...columns.map((c) => cells[i]?.get(c) ?? ''),
    ...(hasError ? [r.ok ? '' : (r.error ?? 'error')] : []),
  ]);
  // One line per cell: newlines and controls shown, never live.
  const all = [header, ...body].map((row) => row.map((cell) => inert(cell).replace(/\n/g, '\\n').replace(/\t/g, ' ')));
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const width = io.stdoutIsTTY ? io.stdout.columns || 0 : 0;
  return all
    .map((row) => {
      const line = row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c] as number))).join('  ').trimEnd();
      return width > 1 && line.length > width ? `${line.slice(0, width - 1)}…` : line;
    })
    .join('\n');
}
