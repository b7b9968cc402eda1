import { describe, expect, it } from 'vitest';
import { parseArguments, parseRequest } from '../../src/shell/parse.js';
import { UsageError } from '../../src/errors.js';
import { stringifyJson } from '../../src/protocol/json.js';
import fc from 'fast-check';
import { runs } from '../helpers/fuzz.js';

describe('key=value arguments', () => {
  it.each([
    [['device=drive0'], { device: 'drive0' }],
    [['bps=1000000', 'bps_rd=0'], { bps: 1000000, bps_rd: 0 }],
    [['on=true', 'off=false', 'n=null'], { on: true, off: false, n: null }],
    [['command-line=info status'], { 'command-line': 'info status' }],
    [['a.b=1', 'a.c.d=x'], { a: { b: 1, c: { d: 'x' } } }],
    [['x={"k": [1, 2]}'], { x: { k: [1, 2] } }],
    [['l=[1,"a"]'], { l: [1, 'a'] }],
    [['s="123"'], { s: '123' }],
    [['f=-1.5e3'], { f: -1500 }],
    [['s=1.2.3'], { s: '1.2.3' }],
    [['s=0x10'], { s: '0x10' }],
    [['s=on'], { s: 'on' }],
    [['eq=a=b'], { eq: 'a=b' }],
    [['empty=""'], { empty: '' }],
  ])('%j -> %j', (tokens, expected) => {
    expect(parseArguments(tokens)).toEqual(expected);
  });

  it('keeps integers beyond 2^53 exact on the way to the wire', () => {
    const args = parseArguments(['max-bandwidth=18446744073709551615', 'n=-9223372036854775808']);
    expect(stringifyJson(args)).toBe('{"max-bandwidth":18446744073709551615,"n":-9223372036854775808}');
  });

  it.each([
    [['=value'], /no key/],
    [['key='], /has no value/],
    [['novalue'], /not key=value/],
    [['a=1', 'a=2'], /given twice/],
    [['a=1', 'a.b=2'], /conflicts with 'a'/],
    [['a.b=2', 'a=1'], /conflicts with keys below/],
    [['a..b=1'], /between the dots/],
    [['x={"unbalanced": 1'], /not valid JSON/],
    [['x=[1,'], /not valid JSON/],
    [['x="open'], /not valid JSON/],
  ])('%j is a usage error', (tokens, message) => {
    expect(() => parseArguments(tokens)).toThrow(UsageError);
    expect(() => parseArguments(tokens)).toThrow(message);
  });

  it('merges --args JSON with key=value', () => {
    expect(parseRequest('cmd', ['b=2', 'o.y=2'], '{"a":1,"o":{"x":1}}')).toEqual({
      execute: 'cmd',
      arguments: { a: 1, b: 2, o: { x: 1, y: 2 } },
    });
    expect(() => parseRequest('cmd', ['a=2'], '{"a":1}')).toThrow(/given twice/);
    expect(() => parseRequest('cmd', [], '[1]')).toThrow(/JSON object/);
  });

  it('takes a whole JSON request as the command', () => {
    expect(parseRequest('{"execute":"query-block"}', [])).toEqual({ execute: 'query-block' });
    expect(parseRequest('{"execute":"x","arguments":{"a":1}}', ['b=2'])).toEqual({
      execute: 'x',
      arguments: { a: 1, b: 2 },
    });
    expect(() => parseRequest('{"exec":"x"}', [])).toThrow(/needs "execute"/);
    expect(() => parseRequest('{"execute":"x","bogus":1}', [])).toThrow(/not 'bogus'/);
    expect(() => parseRequest('{"execute":', [])).toThrow(/not valid JSON/);
    expect(() => parseRequest('bad name!', [])).toThrow(/not a QMP command name/);
  });

  it('property: never throws anything but UsageError; accepted plain strings are sent as typed', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 6 }), (tokens) => {
        try {
          parseArguments(tokens);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: runs(2000) },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.string({ minLength: 1 }), (key, value) => {
        let args;
        try {
          args = parseArguments([`${key}=${value}`]);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          return;
        }
        const sent = args[key];
        if (typeof sent === 'string' && !value.startsWith('"')) expect(sent).toBe(value);
        else expect(stringifyJson(sent)).toBe(stringifyJson(JSON.parse(value)));
      }),
      { numRuns: runs(2000) },
    );
  });
});
