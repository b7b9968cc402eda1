/**
 * Numbers no double holds (1e400, -1e400, 1e-400): never turned into null
 * (what JSON.stringify writes for Infinity) or 0. From a peer, parseJson
 * refuses them (the session's ProtocolError); typed by the user, each way in
 * (key=value by look, by schema, key:=JSON, JSON values, --args, a whole
 * JSON request) refuses them as a usage error; through the library,
 * execute() refuses NaN and Infinity.
 */
import { describe, expect, it } from 'vitest';
import { NumberRangeError, UsageError } from '../../src/errors.js';
import { finiteNumber, parseJson, stringifyJson } from '../../src/protocol/json.js';
import { Schema, type SchemaEntry } from '../../src/schema/schema.js';
import { typedRequest } from '../../src/schema/typed-args.js';
import { parseCommand, parseRequest, parseValue } from '../../src/shell/parse.js';

const HUGE_INT = `1${'0'.repeat(400)}`;
const OUT_OF_RANGE = ['1e400', '-1e400', '1E+400', '1e-400', '-1e-400', '2e-324', `${HUGE_INT}.0`, `0.${'0'.repeat(400)}1`, '1.5e99999'];
const IN_RANGE: Array<[string, unknown]> = [
  ['1e308', 1e308],
  ['-1.7976931348623157e308', -1.7976931348623157e308],
  ['5e-324', 5e-324],
  ['0e-400', 0],
  ['0.0e400', 0],
  ['1e21', 1e21],
  ['123456789012345e99', 123456789012345e99],
];

describe('parseJson: numbers no double holds', () => {
  it.each(OUT_OF_RANGE)('%s is refused', (text) => {
    expect(() => parseJson(text)).toThrow(NumberRangeError);
    expect(() => parseJson(`{"return": {"a": [1, ${text}]}, "id": 1}`)).toThrow(NumberRangeError);
    expect(() => finiteNumber(text)).toThrow(NumberRangeError);
  });

  it.each(IN_RANGE)('%s is kept', (text, value) => {
    expect(parseJson(text)).toBe(value);
    expect(parseJson(`[${text}]`)).toEqual([value]);
  });

  it('says which way it is out of range', () => {
    expect(() => parseJson('1e400')).toThrow(/the number 1e400 is beyond what a double holds/);
    expect(() => parseJson('1e-400')).toThrow(/the number 1e-400 is too small for a double \(it would become 0\)/);
  });

  it('keeps a huge integer exact (BigInt), and a number longer than 400 characters whole', () => {
    expect(stringifyJson(parseJson(`[${HUGE_INT}]`))).toBe(`[${HUGE_INT}]`);
    const long = `0.${'1'.repeat(500)}`;
    expect(parseJson(`[${long}]`)).toEqual([Number(long)]);
  });

  it('takes strings that merely look like exponents on the fast path', () => {
    expect(parseJson('{"model": "e1000", "x": "1e400"}')).toEqual({ model: 'e1000', x: '1e400' });
  });
});

describe('key=value: numbers no double holds are refused (exit 2), not sent as null or 0', () => {
  it.each(OUT_OF_RANGE.slice(0, 6))('x=%s', (text) => {
    expect(() => parseValue('x', text)).toThrow(UsageError);
    expect(() => parseValue('x', text)).toThrow(/^'x': the number /);
    expect(() => parseRequest('cmd', [`x=${text}`])).toThrow(UsageError);
    expect(() => parseRequest('cmd', [`x:=${text}`])).toThrow(/^'x': the number /);
    expect(() => parseRequest('cmd', [`x={"a": [${text}]}`])).toThrow(/^'x': the number /);
    expect(() => parseRequest('cmd', [], `{"x": ${text}}`)).toThrow(/^the arguments object: the number /);
    expect(() => parseCommand(`{"execute": "cmd", "arguments": {"x": ${text}}}`, [])).toThrow(/^the JSON request: the number /);
  });

  it('still sends in-range numbers and huge integers as typed', () => {
    expect(stringifyJson(parseRequest('cmd', ['a=1e308', 'b=5e-324', `c=${HUGE_INT}`, 'd=0e-400']))).toBe(
      `{"execute":"cmd","arguments":{"a":1e+308,"b":5e-324,"c":${HUGE_INT},"d":0}}`,
    );
  });
});

describe('typed by the schema: a `number` argument', () => {
  const entries: SchemaEntry[] = [
    { name: 'set-ratio', 'meta-type': 'command', 'arg-type': 'A', 'ret-type': 'R' },
    { name: 'A', 'meta-type': 'object', members: [{ name: 'ratio', type: 'number' }, { name: 'n', type: 'int', default: null }] },
    { name: 'R', 'meta-type': 'object', members: [] },
    { name: 'number', 'meta-type': 'builtin', 'json-type': 'number' },
    { name: 'int', 'meta-type': 'builtin', 'json-type': 'int' },
  ];
  const schema = new Schema(entries);
  const typed = (...words: string[]) => typedRequest(schema, parseCommand('set-ratio', words));

  it.each([...OUT_OF_RANGE.slice(0, 6), '+1e400', HUGE_INT])('ratio=%s is refused', (text) => {
    expect(() => typed(`ratio=${text}`)).toThrow(UsageError);
    expect(() => typed(`ratio=${text}`)).toThrow(/^'ratio': the number /);
  });

  it('takes what a double holds', () => {
    expect(typed('ratio=0.5').arguments).toEqual({ ratio: 0.5 });
    expect(typed('ratio=+1e308').arguments).toEqual({ ratio: 1e308 });
    expect(typed('ratio=.5').arguments).toEqual({ ratio: 0.5 });
    expect(stringifyJson(typed('ratio=3', `n=${HUGE_INT}`).arguments)).toBe(`{"ratio":3,"n":${HUGE_INT}}`);
  });
});
