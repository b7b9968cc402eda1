/**
 * One progress component for --wait and --jobs. It knows nothing of the
 * terminal beyond the stream it is given: on a terminal an ora spinner with a
 * bar, percent, bytes, rate and ETA, redrawn in place; anywhere else an NDJSON
 * line at a steady interval (and one at every status change), no animation.
 */
import { RateTracker, type JobState, type MigrationState } from '../../jobs/model.js';
import { stringifyJson } from '../../protocol/json.js';
import { inert } from './inert.js';

export interface ProgressSample {
  /** What is progressing: "backup job0", "migration". */
  label: string;
  status: string;
  done: number;
  total: number;
  /** More numbers worth showing (migration: dirty rate, passes). */
  extra?: Record<string, number>;
}

/** A job as one progress sample (--wait, and the shell's .wait). */
export function jobSample(job: JobState): ProgressSample {
  return { label: `${job.type} ${job.id}`, status: job.status, done: job.done, total: job.total };
}

/** The migration as one progress sample (--wait, and the shell's .wait). */
export function migrationSample(m: MigrationState): ProgressSample {
  return {
    label: 'migration',
    status: m.status,
    // RAM processed, not bytes sent: zero pages cost almost nothing to send.
    done: m.total > 0 ? m.total - m.remaining : 0,
    total: m.total,
    extra: { 'dirty-pages-rate': m.dirtyRate, passes: m.passes, transferred: m.transferred },
  };
}

export interface ProgressReporter {
  update(sample: ProgressSample): void;
  /** A line above the progress (a state the user must act on, a hint). */
  note(text: string): void;
  finish(ok: boolean, text: string): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  /** With several targets: each line says which. */
  tag?: string;
  write(text: string): boolean;
}

export async function progressReporter(
  stream: ProgressStream,
  options: { intervalMs?: number; now?: () => number; color?: boolean; tag?: string } = {},
): Promise<ProgressReporter> {
  const now = options.now ?? Date.now;
  const tag = options.tag ?? stream.tag;
  const rates = new Map<string, RateTracker>();
  const measure = (s: ProgressSample) => {
    const tracker = rates.get(s.label) ?? new RateTracker();
    rates.set(s.label, tracker);
    const rate = tracker.sample(now(), s.done);
    const eta = tracker.eta(s.done, s.total);
    const percent = s.total > 0 ? Math.min(100, (100 * s.done) / s.total) : 0;
    return { rate, eta, percent };
  };

  // A terminal that says it has no columns (`script` with no size, a serial
  // console) gets the lines a pipe gets: ora would count its lines as infinite.
  if (stream.isTTY && (stream as { columns?: number }).columns !== 0) {
    const { default: ora } = await import('ora');
    // discardStdin off: ora would otherwise put the terminal in raw mode, and
    // Ctrl-C, Ctrl-\\ and Ctrl-Z would no longer reach qmpsh as signals.
    const spinner = ora({
      stream: stream as NodeJS.WritableStream,
      text: 'starting',
      color: 'cyan',
      isEnabled: true,
      discardStdin: false,
    }).start();
    return {
      update(s) {
        spinner.text = spinnerText(s, measure(s));
      },
      note(text) {
        spinner.clear();
        stream.write(`${inert(text)}\n`);
        spinner.render();
      },
      finish(ok, text) {
        // Once: a follower that fails after finishing must not redraw it.
        if (!spinner.isSpinning) return;
        if (ok) spinner.succeed(inert(text));
        else spinner.fail(inert(text));
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
        `${stringifyJson({
          time: new Date(now()).toISOString(),
          ...(tag !== undefined ? { target: tag } : {}),
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
      const tagged = tag !== undefined ? { target: tag } : {};
      stream.write(`${stringifyJson({ time: new Date(now()).toISOString(), ...tagged, note: text })}\n`);
    },
    finish() {},
  };
}

/** The spinner's line: label, bar, percent, bytes, rate, ETA, state. */
export function spinnerText(s: ProgressSample, m: { rate: number; eta: number | undefined; percent: number }): string {
  const extra = Object.entries(s.extra ?? {})
    .map(([k, v]) => `${k} ${k.includes('rate') ? `${bytes(v)}/s` : v}`)
    .join(' ');
  // Labels and states come from the peer: nothing in them may be live.
  return (
    `${inert(s.label)} ${bar(m.percent)} ${m.percent.toFixed(1)}% ${bytes(s.done)}/${bytes(s.total)} ` +
    `${bytes(m.rate)}/s ETA ${duration(m.eta)} ${inert(s.status)}${extra ? ` ${extra}` : ''}`
  );
}

function bar(percent: number, width = 20): string {
  // Peer numbers: a negative, NaN or huge percent still draws a bar.
  const full = Number.isFinite(percent) ? Math.round((Math.min(100, Math.max(0, percent)) / 100) * width) : 0;
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

/**
 * Progress of one of several targets: NDJSON lines on stderr, each with its
 * target (several spinners cannot share one line).
 */
export function progressReporterTagged(io: { err(line: string): void }, target: string): ProgressStream {
  return { isTTY: false, tag: target, write: (text) => (io.err(text.replace(/\n$/, '')), true) };
}
