/**
 * JSON that keeps integers exact. Pure.
 *
 * QEMU sends uint64 values exactly (QMP-NOTES, "Integers": max-bandwidth
 * reports 18446744073709551615), and JSON.parse rounds every integer beyond
 * 2^53. Here such integers become BigInt, and stringify writes BigInt back as
 * plain digits, so a value survives wire -> output and input -> wire unchanged.
 *
 * Speed: an integer beyond 2^53 has at least 16 digits, so a text without a run
 * of 16 digits goes straight to JSON.parse (the common case; measured in
 * bench/). Only texts with such a run take the exact parser below.
 */
import { NumberRangeError, ProtocolError } from '../errors.js';

export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * What plain JSON.parse may get wrong: an integer beyond 2^53 (16 digits or
 * more), and a number no double holds (1e400, 1e-400). A number outside a
 * double's range needs either a 3-digit exponent or a run of 16 digits
 * (15 digits and an exponent below 100 stay within 1e-115..1e115), so texts
 * without either go straight to JSON.parse.
 */
const NEEDS_EXACT = /\d{16}|\d[eE][+-]?\d{3}/;

/**
 * Parses JSON; integers beyond 2^53 become BigInt. A number no double can
 * hold (1e400, -1e400, 1e-400) is refused with NumberRangeError, never
 * turned into Infinity (written back as null) or 0.
 */
export function parseJson(text: string): JsonValue {
  if (!NEEDS_EXACT.test(text)) return JSON.parse(text) as JsonValue;
  return new ExactParser(text).parseDocument();
}

/**
 * A JSON number's text (or any text Number() reads) as a double, or
 * NumberRangeError when the double would be Infinity, or 0 for a number
 * that is not 0.
 */
export function finiteNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new NumberRangeError(text, 'overflow');
  if (n === 0 && /[1-9]/.test(text.replace(/[eE].*$/, ''))) throw new NumberRangeError(text, 'underflow');
  return n;
}

/**
 * Like JSON.stringify, but BigInt values are written as exact digits, and the
 * output never holds a character that a terminal could obey: besides the C0
 * controls, quote, backslash and lone surrogates that JSON.stringify escapes,
 * DEL, the C1 controls (U+0080-U+009F), the bidi controls (U+061C, U+200E,
 * U+200F, U+202A-U+202E, U+2066-U+2069), U+2028 and U+2029 are written as
 * `\uXXXX` (lower-case hex, like JSON.stringify's own). The value is unchanged:
 * parseJson gives back exactly what was written.
 */
export function stringifyJson(value: unknown, indent?: number): string {
  let text: string;
  try {
    // Fast path: JSON.stringify throws on the first BigInt it meets.
    text = JSON.stringify(value, null, indent);
  } catch (err) {
    if (!(err instanceof TypeError) || !/BigInt/i.test(err.message)) throw err;
    text = writeExact(value, indent ? ' '.repeat(indent) : '', '');
  }
  return escapeTerminalControls(text);
}

/*
 * The characters stringifyJson escapes on top of JSON.stringify: the set of
 * cli/output/inert.ts less the C0 controls, which JSON.stringify escapes
 * already (kept here rather than imported: the library must not depend on the
 * CLI; test/unit/json.test.ts checks that the two sets agree).
 */
const TERMINAL_CONTROL = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const EACH_TERMINAL_CONTROL = new RegExp(TERMINAL_CONTROL.source, 'g');

/**
 * A post-pass over JSON text: these characters can only occur inside its
 * strings (outside them JSON.stringify writes ASCII only), never right after
 * a backslash (its escapes are ASCII), so each may be swapped for its \u
 * escape. Texts without any (nearly all) are returned after one regex test.
 */
function escapeTerminalControls(text: string): string {
  // JSON.stringify gives undefined for undefined, a function or a symbol: kept as it was.
  if (typeof text !== 'string' || !TERMINAL_CONTROL.test(text)) return text;
  return text.replace(EACH_TERMINAL_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The slow path of stringifyJson: same output as JSON.stringify, BigInt as digits. */
function writeExact(value: unknown, indent: string, current: string): string {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = current + indent;
  const open = indent ? `\n${inner}` : '';
  const sep = indent ? `,\n${inner}` : ',';
  const close = indent ? `\n${current}` : '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${open}${value.map((v) => writeExact(v, indent, inner)).join(sep)}${close}]`;
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${indent ? ' ' : ''}${writeExact(v, indent, inner)}`);
  }
  if (parts.length === 0) return '{}';
  return `{${open}${parts.join(sep)}${close}}`;
}

/**
 * A strict RFC 8259 parser. It is only used for texts that may hold integers
 * beyond 2^53, so it favours clarity over speed.
 */
class ExactParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    this.skipSpace();
    let value: JsonValue;
    try {
      value = this.parseValue(0);
    } catch (err) {
      if (err instanceof RangeError) throw new ProtocolError('JSON nested too deeply', { cause: err });
      throw err;
    }
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private fail(what: string): never {
    throw new ProtocolError(`invalid JSON: ${what} at position ${this.pos}`, {
      cause: new SyntaxError(what),
    });
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.pos++;
    }
  }

  private parseValue(depth: number): JsonValue {
    if (depth > 10000) this.fail('nesting deeper than 10000 levels');
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject(depth);
      case '[':
        return this.parseArray(depth);
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber();
        return this.fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`expected ${word}`);
    this.pos += word.length;
    return value;
  }

  private parseObject(depth: number): JsonValue {
    const out: { [key: string]: JsonValue } = {};
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.parseString();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.skipSpace();
      const value = this.parseValue(depth + 1);
      // Same semantics as JSON.parse for "__proto__" keys: an own property.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
      this.skipSpace();
    }
  }

  private parseArray(depth: number): JsonValue {
    const out: JsonValue[] = [];
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth + 1));
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
      this.skipSpace();
    }
  }

  private parseString(): string {
    const start = this.pos;
    const t = this.text;
    let i = start + 1;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) i++;
      else if (c < 0x20) {
        this.pos = i;
        this.fail('control character in string');
      }
    }
    if (i >= t.length) {
      this.pos = t.length;
      this.fail('unterminated string');
    }
    this.pos = i + 1;
    try {
      return JSON.parse(t.slice(start, i + 1)) as string;
    } catch (err) {
      this.pos = start;
      return this.fail(`bad escape in string (${(err as Error).message})`);
    }
  }

  private parseNumber(): number | bigint {
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.text);
    if (!m) return this.fail('bad number');
    const token = m[0];
    this.pos += token.length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(token);
      return Number.isSafeInteger(n) ? n : BigInt(token);
    }
    return finiteNumber(token);
  }
}

/** Sticky: matched where the parser stands, without copying the rest of the text. */
const NUMBER_RE = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
