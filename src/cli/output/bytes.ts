/** Sizes and durations as people read them (KiB = 1024 bytes). */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A 20-cell bar; a negative, NaN or huge percent (peer numbers) still draws one. */
export function bar(percent: number, width = 20): string {
  const full = Number.isFinite(percent) ? Math.round((Math.min(100, Math.max(0, percent)) / 100) * width) : 0;
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}
