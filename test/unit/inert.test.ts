import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '../helpers/fuzz.js';
import { UNSAFE_CHARS, inert, inertKeepingSgr } from '../../src/cli/output/inert.js';

/** The unsafe set, written out by code point (independently of UNSAFE_CHARS). */
function isUnsafe(code: number): boolean {
  if (code === 0x0a || code === 0x09) return false;
  if (code <= 0x1f) return true; // C0
  if (code >= 0x7f && code <= 0x9f) return true; // DEL, C1
  if (code === 0x061c || code === 0x200e || code === 0x200f) return true;
  if (code >= 0x202a && code <= 0x202e) return true;
  if (code >= 0x2066 && code <= 0x2069) return true;
  return code === 0x2028 || code === 0x2029;
}

const visible = (code: number) =>
  code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;

/** A straightforward model of inert / inertKeepingSgr, one code unit at a time. */
function model(text: string, keepSgr: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0d && text[i + 1] === '\n') {
      out += '\n';
      i++;
    } else if (keepSgr && code === 0x1b && /^\x1b\[[0-9;]*m/.test(text.slice(i))) {
      out += '\x1b';
    } else {
      out += isUnsafe(code) ? visible(code) : text[i];
    }
  }
  return out;
}

/** Strings dense in the interesting characters: controls, SGR pieces, bidi, backslashes, astral text. */
const unit = fc.oneof(
  fc.constantFrom('\x1b', '[', ']', ';', 'm', '0', '3', '1', 'J', '?', 'l', 'H', ':', '\r', '\n', '\t', '\x07', '\\', 'x', 'u', 'a', ' '),
  fc.constantFrom('\x1b[31m', '\x1b[0m', '\x1b[1;32m', '\x1b[m', '\x1b[2J', '\x1b[?25l', '\x1b]0;T\x07', '\r\n', '\x9b', '\u202e', '\u2028'),
  fc.integer({ min: 0, max: 0xa0 }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x2000, max: 0x2070 }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'binary', maxLength: 3 }),
);
const spicy = fc.string({ unit, maxLength: 40 });
const anyString = fc.oneof(spicy, fc.string({ unit: 'binary' }), fc.string());

const UNSAFE_G = new RegExp(`[${UNSAFE_CHARS}]`, 'g');

describe('inert', () => {
  it.each([
    ['SGR colour', '\x1b[31mred\x1b[0m', '\\x1b[31mred\\x1b[0m'],
    ['OSC title', '\x1b]0;T\x07', '\\x1b]0;T\\x07'],
    ['clear screen', 'a\x1b[2Jb', 'a\\x1b[2Jb'],
    ['C1 CSI', '\x9b2J', '\\u009b2J'],
    ['C1 OSC and ST', '\x9d0;T\x9c', '\\u009d0;T\\u009c'],
    ['right-to-left override', 'abc\u202edef', 'abc\\u202edef'],
    ['bidi isolates and marks', '\u2066\u2067\u2068\u2069\u200e\u200f\u061c', '\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['CRLF becomes LF', 'line 1\r\nline 2\r\n', 'line 1\nline 2\n'],
    ['lone CR', 'progress 10%\rprogress 20%', 'progress 10%\\x0dprogress 20%'],
    ['CR before CRLF', 'a\r\r\nb', 'a\\x0d\nb'],
    ['CRLF split by text', '\r-\n', '\\x0d-\n'],
    ['DEL', 'a\x7fb', 'a\\x7fb'],
    ['NUL, BEL, BS, VT, FF', '\0\x07\b\v\f', '\\x00\\x07\\x08\\x0b\\x0c'],
    ['backslash is not escaped', 'C:\\x1b\\path', 'C:\\x1b\\path'],
  ])('%s', (_name, input, expected) => {
    expect(inert(input)).toBe(expected);
  });

  it('keeps tab, newline, unicode letters and emoji, and returns the very same string', () => {
    for (const text of ['', 'plain ASCII', 'tab\tand\nnewline', 'héllo wörld ñ', 'Ελληνικά 日本語 עברית العربية', 'emoji 😀👍🏽👨‍👩‍👧', 'zero\u200bwidth']) {
      expect(inert(text)).toBe(text);
      expect(inertKeepingSgr(text)).toBe(text);
    }
  });

  it('escapes exactly the unsafe set, one code unit at a time', () => {
    const wrong: number[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const ch = String.fromCharCode(code);
      if (inert(ch) !== (isUnsafe(code) ? visible(code) : ch)) wrong.push(code);
    }
    expect(wrong).toEqual([]);
  });

  it('UNSAFE_CHARS is the same set', () => {
    const re = new RegExp(`^[${UNSAFE_CHARS}]$`);
    const wrong: number[] = [];
    for (let code = 0; code <= 0xffff; code++) if (re.test(String.fromCharCode(code)) !== isUnsafe(code)) wrong.push(code);
    expect(wrong).toEqual([]);
  });

  it('property: agrees with a per-character model', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(inert(s)).toBe(model(s, false));
      }),
      { numRuns: runs(2000) },
    );
  });

  it('property: the output holds no unsafe character, and inert is idempotent', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const out = inert(s);
        expect(out.match(UNSAFE_G)).toBeNull();
        expect(inert(out)).toBe(out);
      }),
      { numRuns: runs(2000) },
    );
  });
});

describe('inertKeepingSgr', () => {
  it.each([
    ['SGR colours stay', '\x1b[31mred\x1b[0m \x1b[1;32mok\x1b[m', '\x1b[31mred\x1b[0m \x1b[1;32mok\x1b[m'],
    ['clear screen', '\x1b[2J', '\\x1b[2J'],
    ['cursor moves', '\x1b[3A\x1b[10;20H', '\\x1b[3A\\x1b[10;20H'],
    ['private mode', '\x1b[?25l', '\\x1b[?25l'],
    ['SGR with a colon is not plain SGR', '\x1b[38:5:1m', '\\x1b[38:5:1m'],
    ['OSC title', '\x1b]0;T\x07', '\\x1b]0;T\\x07'],
    ['bare ESC', 'a\x1bb', 'a\\x1bb'],
    ['ESC at the end', 'a\x1b', 'a\\x1b'],
    ['unterminated SGR', '\x1b[31', '\\x1b[31'],
    ['ESC ESC [m', '\x1b\x1b[m', '\\x1b\x1b[m'],
    ['C1 CSI with an SGR-like tail', '\x9b31m', '\\u009b31m'],
    ['bidi inside colour', '\x1b[32m\u202eabc\x1b[0m', '\x1b[32m\\u202eabc\x1b[0m'],
    ['CRLF and lone CR', 'a\r\nb\rc', 'a\nb\\x0dc'],
  ])('%s', (_name, input, expected) => {
    expect(inertKeepingSgr(input)).toBe(expected);
  });

  it('property: agrees with a per-character model', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(inertKeepingSgr(s)).toBe(model(s, true));
      }),
      { numRuns: runs(2000) },
    );
  });

  it('property: the only unsafe character left is an ESC that starts an SGR; idempotent', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const out = inertKeepingSgr(s);
        for (const m of out.matchAll(UNSAFE_G)) {
          expect(m[0]).toBe('\x1b');
          expect(out.slice(m.index)).toMatch(/^\x1b\[[0-9;]*m/);
        }
        expect(inertKeepingSgr(out)).toBe(out);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('property: differs from inert only in the SGR sequences it keeps', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(inert(inertKeepingSgr(s))).toBe(inert(s));
        expect(inertKeepingSgr(inert(s))).toBe(inert(s));
      }),
      { numRuns: runs(2000) },
    );
  });
});
