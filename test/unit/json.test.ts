import fc from 'fast-check';
import { runs } from '../helpers/fuzz.js';
import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../src/protocol/json.js';
import { ProtocolError } from '../../src/errors.js';
import { UNSAFE_CHARS, inert } from '../../src/cli/output/inert.js';

describe('exact-integer JSON', () => {
  it('keeps uint64 and int64 extremes digit for digit, both ways', () => {
    const text = '{"max-bandwidth":18446744073709551615,"min":-9223372036854775808,"safe":9007199254740991,"next":9007199254740993}';
    const value = parseJson(text) as Record<string, unknown>;
    expect(value['max-bandwidth']).toBe(18446744073709551615n);
    expect(value.min).toBe(-9223372036854775808n);
    expect(value.safe).toBe(9007199254740991); // safe integers stay numbers
    expect(value.next).toBe(9007199254740993n);
    expect(stringifyJson(value)).toBe(text);
  });

  it('agrees with JSON.parse on texts without long digit runs (the fast path)', () => {
    const text = '{"return": {"status": "running", "a": [1, 2.5, -3e10, null, true], "s": "x\\u00e9"}, "id": 7}';
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it('treats long digit runs in strings and floats correctly on the exact path', () => {
    const text = '{"serial":"12345678901234567890","f":1.2345678901234567,"e":12345678901234567e2,"big":[123456789012345678901234567890]}';
    const value = parseJson(text) as Record<string, unknown>;
    expect(value.serial).toBe('12345678901234567890');
    expect(value.f).toBe(1.2345678901234567);
    expect(value.e).toBe(12345678901234567e2);
    expect(value.big).toEqual([123456789012345678901234567890n]);
  });

  it('indents like JSON.stringify, with BigInt', () => {
    const value = { a: [1n << 64n, { b: 'c' }], d: {}, e: [] };
    expect(stringifyJson(value, 2)).toBe(
      JSON.stringify({ a: ['X', { b: 'c' }], d: {}, e: [] }, null, 2).replace('"X"', '18446744073709551616'),
    );
  });

  it('rejects invalid JSON on the exact path with a ProtocolError', () => {
    for (const bad of ['{"a":12345678901234567,}', '{"a":12345678901234567', '[1234567890123456789 1]', '{"a":"\u0001"} 1234567890123456789']) {
      expect(() => parseJson(bad)).toThrow(ProtocolError);
    }
  });

  it('keeps __proto__ as a plain key on the exact path, like JSON.parse', () => {
    const value = parseJson('{"__proto__": {"x": 1}, "n": 12345678901234567890}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', 'n']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('property: documents with integers up to 2^64 round-trip exactly', () => {
    const bigInts = fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n });
    const leaf = fc.oneof(bigInts, fc.string(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }));
    const doc = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 })),
    })).value;
    fc.assert(
      fc.property(doc, (value) => {
        const text = stringifyJson(value);
        const back = parseJson(text);
        expect(stringifyJson(back)).toBe(text);
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe('stringifyJson never writes terminal controls raw', () => {
  const UNSAFE = new RegExp(`[${UNSAFE_CHARS}]`);
  /** The characters stringifyJson escapes beyond JSON.stringify: DEL, C1, bidi, U+2028/9. */
  const EXTRA = '\x7f\x80\x85\x9b\x9c\x9d\x9f\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029';
  const u = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

  it('writes C1, bidi controls, U+2028/U+2029 and DEL as \\u escapes, in keys and values', () => {
    expect(stringifyJson('\x9b2J \u202eabc \u2028')).toBe('"\\u009b2J \\u202eabc \\u2028"');
    expect(stringifyJson({ '\u202ekey': ['\x7f', '\x85'] })).toBe('{"\\u202ekey":["\\u007f","\\u0085"]}');
    const all = stringifyJson(EXTRA);
    expect(all).toBe(`"${[...EXTRA].map(u).join('')}"`);
    expect(/^[\x20-\x7e]*$/.test(all)).toBe(true);
    expect(parseJson(all)).toBe(EXTRA);
  });

  it('escapes them on the BigInt path and in the indented form too', () => {
    const value = { '\u2066id\u2069': 18446744073709551615n, s: ['\x9b31m', '\u202e'] };
    const compact = '{"\\u2066id\\u2069":18446744073709551615,"s":["\\u009b31m","\\u202e"]}';
    expect(stringifyJson(value)).toBe(compact);
    expect(stringifyJson(value, 2)).toBe(
      '{\n  "\\u2066id\\u2069": 18446744073709551615,\n  "s": [\n    "\\u009b31m",\n    "\\u202e"\n  ]\n}',
    );
    expect(parseJson(stringifyJson(value, 2))).toEqual(value);
    const plain = { s: '\u2028\x9b' };
    expect(stringifyJson(plain, 2)).toBe('{\n  "s": "\\u2028\\u009b"\n}');
  });

  it('leaves other text as JSON.stringify writes it (and returns undefined for undefined, as before)', () => {
    for (const v of [{ a: 'héllo 日本 😀 \u200b \\ "q" \n \x1b' }, [1, 2.5, null, true], '\ud800 lone']) {
      expect(stringifyJson(v)).toBe(JSON.stringify(v));
      expect(stringifyJson(v, 2)).toBe(JSON.stringify(v, null, 2));
    }
    expect(stringifyJson(undefined)).toBeUndefined();
  });

  it('agrees with inert, one code unit at a time: the output is already inert', () => {
    const wrong: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const ch = String.fromCharCode(code);
      const text = stringifyJson(ch);
      const expected = code >= 0x7f && UNSAFE.test(ch) ? `"${u(ch)}"` : JSON.stringify(ch);
      if (text !== expected || UNSAFE.test(text) || parseJson(text) !== ch) wrong.push(u(ch));
    }
    expect(wrong).toEqual([]);
  });

  it('property: JSON values full of controls round-trip exactly, compact and indented, and hold none raw', () => {
    const unit = fc.oneof(
      fc.constantFrom(...EXTRA, '\x1b', '\r', '\n', '\t', '\\', '"', '[', 'm', 'u', '0', 'a', '\ud800', '\udc00'),
      fc.integer({ min: 0, max: 0xa0 }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x2000, max: 0x2070 }).map((c) => String.fromCharCode(c)),
      fc.string({ unit: 'binary', maxLength: 2 }),
    );
    const str = fc.oneof(fc.string({ unit, maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }));
    // Leaves that come back as they went: integers beyond 2^53 are BigInt both ways,
    // doubles stay within the safe range (an integral double beyond it comes back as BigInt).
    const bigInts = fc.oneof(fc.bigInt({ min: 1n << 53n, max: (1n << 64n) - 1n }), fc.bigInt({ min: -(1n << 63n), max: -(1n << 53n) }));
    const doubles = fc.double({ min: -1e15, max: 1e15, noNaN: true }).map((d) => (Object.is(d, -0) ? 0 : d));
    const leaf = fc.oneof(str, bigInts, doubles, fc.boolean(), fc.constant(null));
    const doc = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(str, tie('value'), { maxKeys: 4, noNullPrototype: true }),
      ),
    })).value;
    fc.assert(
      fc.property(doc, fc.constantFrom(undefined, 2, 4), (value, indent) => {
        const text = stringifyJson(value, indent);
        expect(UNSAFE.test(text)).toBe(false);
        expect(inert(text)).toBe(text);
        expect(parseJson(text)).toEqual(value);
      }),
      { numRuns: runs(1000) },
    );
  });
});

