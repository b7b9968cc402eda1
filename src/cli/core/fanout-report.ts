/**
 * How a fan-out says how its targets ended, the same in every mode (one-shots,
 * scripts, waits, --events, --describe, --jobs): a failed target's NDJSON
 * error member, and, after everything else, the summary line on stderr and the
 * exit code, the highest among the failed targets (0 when none failed).
 */
import type { QmpError } from '../../errors.js';
import type { JsonObject } from '../../protocol/messages.js';
import type { Io } from '../output/io.js';
import { exitCodeFor } from './exit-codes.js';
import { messageWithHint } from './hints.js';
import { runEnd } from './interrupt.js';

/** A failed target's `"error"` member: {"code", "class"?, "desc"?, "message"}. */
export function errorJson(e: QmpError | undefined): JsonObject {
  if (!e) return { code: 'error', message: 'failed' };
  const cls = (e as { errorClass?: string }).errorClass;
  return { code: e.code, ...(cls ? { class: cls, desc: (e as { desc?: string }).desc ?? '' } : {}), message: messageWithHint(e) };
}

export interface TargetOutcome {
  target: string;
  /** Absent: the target succeeded. */
  error?: QmpError | undefined;
}

/**
 * `qmpsh: N of M targets succeeded; failed: T (CODE), ...` on stderr, after
 * every line and block on stdout, and the exit code. Nothing when the reader
 * of stdout went away: every target stopped for that, and nobody asked.
 */
export async function reportFanOut(io: Io, outcomes: readonly TargetOutcome[]): Promise<void> {
  // The summary comes after every block, also on a terminal shared by both
  // streams; and not at all when stdout failed (a write says so a tick later).
  await io.settle();
  if (runEnd()?.kind === 'stdout-closed' || io.writeFailure) return;
  const failed = outcomes.filter((o) => o.error !== undefined);
  io.err(
    `${io.errPaint.dim('qmpsh:')} ${outcomes.length - failed.length} of ${outcomes.length} targets succeeded` +
      (failed.length ? `; failed: ${failed.map((o) => `${o.target} (${o.error?.code ?? 'error'})`).join(', ')}` : ''),
  );
  process.exitCode = Math.max(0, ...failed.map((o) => exitCodeFor(o.error)));
}
