/**
 * Turning values and events into text. Colour is given, never detected here:
 * `Paint` is a chalk instance chosen per stream by cli/color.ts.
 */
import { stringifyJson, type JsonValue } from '../../protocol/json.js';
import { isObject, type EventMessage } from '../../protocol/messages.js';
import { inert } from './inert.js';

/** The part of chalk qmpsh uses; cli/color.ts gives chalk itself, or PLAIN without loading it. */
export interface Paint {
  readonly level: number;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  magenta(text: string): string;
  cyan(text: string): string;
  gray(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const same = (text: string) => text;
export const PLAIN: Paint = {
  level: 0,
  red: same,
  green: same,
  yellow: same,
  blue: same,
  magenta: same,
  cyan: same,
  gray: same,
  dim: same,
  bold: same,
};

/** One compact line, exact integers. */
export function compactJson(value: unknown): string {
  return stringifyJson(value);
}

/** Indented JSON with colours (when `paint` has a level above 0). */
export function prettyJson(value: JsonValue, paint: Paint, indent = '  '): string {
  if (paint.level === 0) return stringifyJson(value, indent.length);
  const out: string[] = [];
  write(value, '', indent, paint, out);
  return out.join('');
}

function write(value: JsonValue, current: string, indent: string, paint: Paint, out: string[]): void {
  if (value === null) {
    out.push(paint.gray('null'));
  } else if (typeof value === 'string') {
    out.push(paint.green(stringifyJson(value)));
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    out.push(paint.yellow(String(value)));
  } else if (typeof value === 'boolean') {
    out.push(paint.magenta(String(value)));
  } else if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    const inner = current + indent;
    out.push('[\n');
    value.forEach((item, i) => {
      out.push(inner);
      write(item, inner, indent, paint, out);
      out.push(i < value.length - 1 ? ',\n' : '\n');
    });
    out.push(`${current}]`);
  } else {
    const entries = Object.entries(value);
    if (entries.length === 0) {
      out.push('{}');
      return;
    }
    const inner = current + indent;
    out.push('{\n');
    entries.forEach(([k, v], i) => {
      out.push(`${inner}${paint.cyan(stringifyJson(k))}: `);
      write(v, inner, indent, paint, out);
      out.push(i < entries.length - 1 ? ',\n' : '\n');
    });
    out.push(`${current}}`);
  }
}

/**
 * The event's own timestamp as ISO 8601 with microseconds (UTC). A timestamp
 * that is no date (a peer may send any number, a BigInt, a string, seconds
 * past year 275760, microseconds past 999999) is shown as it was sent.
 */
export function eventTime(event: EventMessage): string {
  const ts: unknown = event.timestamp;
  if (!isObject(ts) || ts.seconds === undefined) return '-';
  const { seconds } = ts;
  const micro = ts.microseconds ?? 0;
  if (isWhole(seconds) && isWhole(micro) && micro < 1_000_000) {
    const date = new Date(Number(seconds) * 1000);
    if (!Number.isNaN(date.getTime())) {
      return `${date.toISOString().slice(0, 19)}.${String(micro).padStart(6, '0')}Z`;
    }
  }
  return rawText(ts);
}

/** A whole number >= 0, as a number or a BigInt (what the exact parser gives beyond 2^53). */
function isWhole(v: unknown): v is number | bigint {
  return (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n);
}

/**
 * A value as raw JSON text, for when it cannot be shown otherwise: never
 * throws (the caller is already handling something that went wrong).
 */
export function rawText(value: unknown): string {
  try {
    const text = stringifyJson(value);
    if (typeof text === 'string') return text;
  } catch {
    // not JSON: below
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** One line for an event on stderr: `event STOP 2026-...Z {"data"}`. */
export function eventLine(event: EventMessage, paint: Paint): string {
  const data = event.data !== undefined ? ` ${compactJson(event.data)}` : '';
  const name = inert(typeof event.event === 'string' ? event.event : rawText(event.event));
  return `${paint.dim('event')} ${paint.bold(colourForEvent(name, paint)(name))} ${paint.dim(eventTime(event))}${data}`;
}

function colourForEvent(name: string, paint: Paint): (text: string) => string {
  if (/SHUTDOWN|POWERDOWN|RESET|GUEST_PANICKED|ERROR|FAIL/.test(name)) return paint.red;
  if (/^(STOP|SUSPEND|WATCHDOG)/.test(name)) return paint.yellow;
  if (/^(RESUME|WAKEUP)/.test(name)) return paint.green;
  if (/^(BLOCK_|JOB_)/.test(name)) return paint.blue;
  return paint.cyan;
}
