/**
 * Every time limit and delay the library takes from its user goes through
 * here before it reaches a timer. Node's setTimeout holds at most 2^31-1 ms
 * (about 24.8 days): past that, or below 1 ms, it fires after 1 ms (with a
 * TimeoutOverflowWarning), so a limit of 3e9 or Infinity would end a wait at
 * once. Pure.
 */
import { OptionRangeError, OptionTypeError } from './errors.js';

/** The longest a Node timer waits: 2^31-1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const RANGE = `1 to ${MAX_TIMER_MS} ms (about 24.8 days)`;

function checkNumber(option: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new OptionTypeError(option, `${option} must be a number of milliseconds, not ${typeof value}`);
  }
  if (Number.isNaN(value) || value < 0) throw new OptionRangeError(option, `${option} must be 0 or more milliseconds, not ${value}`);
  return value;
}

/**
 * A time limit (connectTimeoutMs, commandTimeoutMs, an execute()'s or a
 * waitForEvent()'s timeoutMs): `undefined` gives the default; 0 and
 * Infinity mean no limit (returned as 0, which the callers arm no timer
 * for); otherwise 1 to MAX_TIMER_MS. Throws OptionTypeError for a
 * non-number and OptionRangeError for NaN, a negative value, a value below
 * 1 ms (0.4 would fire at once, not wait 0.4 ms) or one past MAX_TIMER_MS.
 */
export function timeLimitMs(option: string, value: unknown, fallback = 0): number {
  if (value === undefined) return fallback;
  const ms = checkNumber(option, value);
  if (ms === 0 || ms === Infinity) return 0;
  if (ms < 1) throw new OptionRangeError(option, `${option} ${ms} is below a millisecond: give ${RANGE}, or 0 for no limit`);
  if (ms > MAX_TIMER_MS) throw new OptionRangeError(option, `${option} ${ms} is too long for a timer: give ${RANGE}, or 0 for no limit`);
  return ms;
}

/**
 * A delay (followJob's intervalMs) or a wait (waitForSocketMs): 0 to
 * MAX_TIMER_MS, and Infinity where `forever` says it means waiting without
 * end. Throws as timeLimitMs does.
 */
export function delayMs(option: string, value: unknown, fallback: number, forever = false): number {
  if (value === undefined) return fallback;
  const ms = checkNumber(option, value);
  if (ms === Infinity && forever) return ms;
  if (ms > 0 && ms < 1) throw new OptionRangeError(option, `${option} ${ms} is below a millisecond: give 0 or ${RANGE}`);
  if (ms > MAX_TIMER_MS) {
    throw new OptionRangeError(option, `${option} ${ms} is too long for a timer: give 0 to ${MAX_TIMER_MS} ms${forever ? ', or Infinity' : ''}`);
  }
  return ms;
}
