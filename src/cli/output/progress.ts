/**
 * One progress component for --wait and --jobs. It knows nothing of the
 * terminal beyond the stream it is given: on a terminal an ora spinner with a
 * bar, percent, bytes, rate and ETA, redrawn in place; anywhere else an NDJSON
 * line at a steady interval (and one at every status change), no animation.
 */
import { RateTracker } from '../jobs/model.js';

export interface ProgressSample {
  /** What is progressing: "backup job0", "migration". */
  label: string;
  status: string;
  done: number;
  total: number;
  /** More numbers worth showing (migration: dirty rate, passes). */
  extra?: Record<string, number>;
}

export interface ProgressReporter {
  update(sample: ProgressSample): void;
  /** A line above the progress (a state the user must act on, a hint). */
  note(text: string): void;
  finish(ok: boolean, text: string): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): boolean;
}

export async function progressReporter(
  stream: ProgressStream,
  options: { intervalMs?: number; now?: () => number; color?: boolean } = {},
): Promise<ProgressReporter> {
  const now = options.now ?? Date.now;
  const rates = new Map<string, RateTracker>();
  const measure = (s: ProgressSample) => {
    const tracker = rates.get(s.label) ?? new RateTracker();
    rates.set(s.label, tracker);
    const rate = tracker.sample(now(), s.done);
    const eta = tracker.eta(s.done, s.total);
    const percent = s.total > 0 ? Math.min(100, (100 * s.done) / s.total) : 0;
    return { rate, eta, percent };
  };

  if (stream.isTTY) {
    const { default: ora } = await import('ora');
    const spinner = ora({ stream: stream as NodeJS.WritableStream, text: 'starting', color: 'cyan', isEnabled: true }).start();
    return {
      update(s) {
        const { rate, eta, percent } = measure(s);
        const extra = Object.entries(s.extra ?? {})
          .map(([k, v]) => `${k} ${k.includes('rate') ? `${bytes(v)}/s` : v}`)
          .join(' ');
        spinner.text =
          `${s.label} ${bar(percent)} ${percent.toFixed(1)}% ${bytes(s.done)}/${bytes(s.total)} ` +
          `${bytes(rate)}/s ETA ${duration(eta)} ${s.status}${extra ? ` ${extra}` : ''}`;
      },
      note(text) {
        spinner.clear();
        stream.write(`${text}\n`);
        spinner.render();
      },
      finish(ok, text) {
        if (ok) spinner.succeed(text);
        else spinner.fail(text);
      },
    };
  }

  const interval = options.intervalMs ?? 1000;
  const lastAt = new Map<string, { at: number; status: string }>();
  return {
    update(s) {
      const { rate, eta, percent } = measure(s);
      const last = lastAt.get(s.label);
      if (last && now() - last.at < interval && last.status === s.status) return;
      lastAt.set(s.label, { at: now(), status: s.status });
      stream.write(
        `${JSON.stringify({
          time: new Date(now()).toISOString(),
          progress: s.label,
          status: s.status,
          done: s.done,
          total: s.total,
          percent: Math.round(percent * 10) / 10,
          rate: Math.round(rate),
          eta: eta === undefined ? null : Math.round(eta),
          ...s.extra,
        })}\n`,
      );
    },
    note(text) {
      stream.write(`${JSON.stringify({ time: new Date(now()).toISOString(), note: text })}\n`);
    },
    finish() {},
  };
}

function bar(percent: number, width = 20): string {
  const full = Math.round((percent / 100) * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

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
