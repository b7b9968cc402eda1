/**
 * One progress component for --wait and --jobs. It knows nothing of the
 * terminal beyond the stream it is given: on a terminal an ora spinner with a
 * bar, percent, bytes, rate and ETA, redrawn in place; anywhere else an NDJSON
 * line at a steady interval (and one at every status change), no animation.
 */
import { RateTracker, type JobState, type MigrationProgress } from '../../jobs/model.js';
import { stringifyJson } from '../../protocol/json.js';
import { bar, bytes, duration } from './bytes.js';
import { inert } from './inert.js';
import { migrationDetails, migrationJson } from './migration.js';

export { bytes, duration } from './bytes.js';

export interface ProgressSample {
  /** What is progressing: "backup job0", "migration". */
  label: string;
  status: string;
  done: number;
  total: number;
  /** More numbers worth showing. */
  extra?: Record<string, number>;
  /** A migration: its own model's numbers (jobs/migration.ts) replace the generic rate and ETA. */
  migration?: MigrationProgress;
}

/** A job as one progress sample (--wait, and the shell's .wait). */
export function jobSample(job: JobState): ProgressSample {
  return { label: `${job.type} ${job.id}`, status: job.status, done: job.done, total: job.total };
}

/** The migration as one progress sample (--wait, and the shell's .wait): the model's numbers (jobs/migration.ts). */
export function migrationSample(m: MigrationProgress): ProgressSample {
  return { label: 'migration', status: m.status, done: m.transferred, total: m.transferred + m.remaining, migration: m };
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
        spinner.text = s.migration ? migrationSpinnerText(s.label, s.migration) : spinnerText(s, measure(s));
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
      const last = lastAt.get(s.label);
      const { rate, eta, percent } = s.migration ? { rate: 0, eta: undefined, percent: 0 } : measure(s);
      if (last && now() - last.at < interval && last.status === s.status) return;
      lastAt.set(s.label, { at: now(), status: s.status });
      if (s.migration) {
        const head = { time: new Date(now()).toISOString(), ...(tag !== undefined ? { target: tag } : {}), progress: s.label };
        stream.write(`${stringifyJson({ ...head, ...migrationJson(s.migration) } as Parameters<typeof stringifyJson>[0])}\n`);
        return;
      }
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

/** A migration's line: label, bar, percent, sent/to send, then the model's details. */
export function migrationSpinnerText(label: string, m: MigrationProgress): string {
  const toSend = m.status === 'completed' ? m.transferred : m.transferred + m.remaining;
  return `${inert(label)} ${bar(m.percent)} ${m.percent.toFixed(1)}% ${bytes(m.transferred)}/${bytes(toSend)} ${inert(m.status)}  ${migrationDetails(m)}`;
}

/**
 * Progress of one of several targets: NDJSON lines on stderr, each with its
 * target (several spinners cannot share one line).
 */
export function progressReporterTagged(io: { err(line: string): void }, target: string): ProgressStream {
  return { isTTY: false, tag: target, write: (text) => (io.err(text.replace(/\n$/, '')), true) };
}
