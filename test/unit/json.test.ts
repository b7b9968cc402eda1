import fc from 'fast-check';
import { runs } from '../helpers/fuzz.js';
import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../src/protocol/json.js';
import { ProtocolError } from '../../src/errors.js';

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
