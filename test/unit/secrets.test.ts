/**
 * The one secrets table (src/secrets.ts) in both of its uses: masking what
 * --log and -v show of the wire, and keeping REPL lines out of the history
 * file. Every case is checked both ways.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringifyJson, type JsonValue } from '../../src/protocol/json.js';
import { hasSecret, MASK, maskHmpLine, maskReply, maskSecrets, qomPathMayBeObject, replyIsSecret } from '../../src/secrets.js';
import { keepInHistory } from '../../src/cli/repl/secret-lines.js';
import { runs } from '../helpers/fuzz.js';
import { PLAIN_CASES, PLAIN_REPLY_CASES, SECRET_CASES, SECRET_REPLY_CASES } from '../helpers/secret-cases.js';

const context = (c?: { hmpMode?: boolean; inTransaction?: boolean }) => ({ hmpMode: false, inTransaction: false, ...c });

describe('the secrets table: wire masking and the REPL history decision', () => {
  it.each(SECRET_CASES)('$name', (c) => {
    const masked = stringifyJson(maskSecrets(c.message as JsonValue));
    expect(masked).not.toContain(c.secret);
    expect(masked).toContain(MASK);
    expect(hasSecret(c.message as JsonValue)).toBe(true);
    expect(keepInHistory(c.line, context(c.context))).toBe(false);
  });

  it.each(PLAIN_CASES)('kept: $line', (c) => {
    expect(keepInHistory(c.line, context(c.context))).toBe(true);
    if (c.message) expect(maskSecrets(c.message as JsonValue)).toEqual(c.message);
  });
});

describe('replies that are secrets (part 4), matched to their request', () => {
  it.each(SECRET_REPLY_CASES)('$name', (c) => {
    expect(replyIsSecret(c.message as JsonValue)).toBe(true);
    const shown = stringifyJson(maskReply({ return: c.reply, id: 7 } as JsonValue));
    expect(shown).not.toContain(c.secret);
    expect(shown).toBe(`{"return":"${MASK}","id":7}`);
    // The request holds no secret: its line stays in the history.
    expect(hasSecret(c.message as JsonValue)).toBe(false);
    expect(keepInHistory(c.line, context())).toBe(true);
  });

  it.each(PLAIN_REPLY_CASES)('shown as received: $message', (c) => {
    expect(replyIsSecret(c.message as JsonValue)).toBe(false);
  });

  it('an error reply keeps its error (it is no secret); a null return stays null', () => {
    const error = { error: { class: 'GenericError', desc: "Property 'x' not found" }, id: 1 };
    expect(maskReply(error)).toEqual(error);
    expect(maskReply({ return: null, id: 1 })).toEqual({ return: null, id: 1 });
  });

  it.each([
    ['/objects/s1', true],
    ['//objects/s1', true],
    ['/objects//s1', true],
    ['///objects', true],
    ['s1', true],
    ['objects/s1', true],
    ['/machine/peripheral/nic0', false],
    ['/machine/objects', false],
    ['/', false],
  ])('QOM path %j may be an object under /objects/: %s', (path, expected) => {
    expect(qomPathMayBeObject(path)).toBe(expected);
  });
});

describe('what masking leaves', () => {
  it.each([
    ['set_password vnc hunter2', `set_password vnc ${MASK}`],
    ['set_password vnc "hunter 2" keep', `set_password vnc ${MASK} keep`],
    ['set_password vnc', 'set_password vnc'],
    ['change vnc password hunter2', `change vnc password ${MASK}`],
    ['change ide1-cd0 http://u:pw@h/x.iso raw', `change ide1-cd0 http://u:${MASK}@h/x.iso raw`],
    ['object_add secret,id=s0,data=hunter2', `object_add secret,id=s0,data=${MASK}`],
    ['object_add secret,data=a,,b,id=s0', `object_add secret,data=${MASK},id=s0`],
    ['object_add secret,id=s0,file=/run/key', 'object_add secret,id=s0,file=/run/key'],
    ['object_add {"qom-type": "secret", "id": "s0", "data": "x"}', `object_add {"qom-type":"secret","id":"s0","data":"${MASK}"}`],
    ['object_add {"qom-type": "secret", "data": ', `object_add ${MASK} `],
    ['qom-set -j /objects/s0 data "x"', `qom-set -j /objects/s0 data ${MASK}`],
    ['drive_add 0 if=none,file=http://me:pw@h/x,id=d', `drive_add 0 if=none,file=http://me:${MASK}@h/x,id=d`],
    ['drive_add 0 if=none,file.key-secret=sec0', `drive_add 0 if=none,file.key-secret=${MASK}`],
    ['info status', 'info status'],
  ])('HMP %s', (line, shown) => {
    expect(maskHmpLine(line)).toBe(shown);
  });

  it('keeps the user of URL credentials, and URLs without a password', () => {
    expect(maskSecrets({ return: { file: 'http://u:p@h/x', other: 'ssh://me@host/path', mail: 'a@b' } })).toEqual({
      return: { file: `http://u:${MASK}@h/x`, other: 'ssh://me@host/path', mail: 'a@b' },
    });
  });

  it('masks replies and events too (member names, URLs), exec-oob requests, old object-add props', () => {
    expect(maskSecrets({ event: 'X', data: { password: 'p', n: null } })).toEqual({ event: 'X', data: { password: MASK, n: null } });
    expect(maskSecrets({ 'exec-oob': 'guest-exec', arguments: { 'input-data': 'x' } })).toEqual({ 'exec-oob': 'guest-exec', arguments: { 'input-data': MASK } });
    expect(maskSecrets({ execute: 'object-add', arguments: { 'qom-type': 'secret', id: 's', props: { data: 'x' } } })).toEqual({
      execute: 'object-add',
      arguments: { 'qom-type': 'secret', id: 's', props: { data: MASK } },
    });
    // A secret of another type is not a secret object's data.
    expect(maskSecrets({ execute: 'object-add', arguments: { 'qom-type': 'x', data: 'x' } })).toEqual({ execute: 'object-add', arguments: { 'qom-type': 'x', data: 'x' } });
  });

  it('does not change its input, and keeps "__proto__" members as data', () => {
    const message = { execute: 'set_password', arguments: { password: 'hunter2' } };
    maskSecrets(message);
    expect(message.arguments.password).toBe('hunter2');
    const odd = JSON.parse('{"__proto__": {"password": "p"}}') as JsonValue;
    expect(stringifyJson(maskSecrets(odd))).toBe(`{"__proto__":{"password":"${MASK}"}}`);
  });

  it('keeps out of the history a line that does not parse but names a secret', () => {
    const ctx = context();
    expect(keepInHistory('set_password protocol=vnc password="hunter2', ctx)).toBe(false);
    expect(keepInHistory('guest-file-write handle=1 buf-b64={', ctx)).toBe(false);
    expect(keepInHistory('query-status x="abc', ctx)).toBe(true);
  });
});

describe('any HMP line or REPL line', () => {
  const word = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('set_password', 'change', 'vnc', 'password', 'object_add', 'qom-set', '-j', 'secret,', 'data=', ',,', '{', '"', 'http://u:p@h', '%', '!', '.hmp', '='),
  );
  const line = fc.array(word, { maxLength: 8 }).map((w) => w.join(' '));

  it('is masked without throwing, and the history decision is made without throwing', () => {
    fc.assert(
      fc.property(line, fc.boolean(), fc.boolean(), (text, hmpMode, inTransaction) => {
        expect(typeof maskHmpLine(text)).toBe('string');
        expect(typeof keepInHistory(text, { hmpMode, inTransaction })).toBe('boolean');
      }),
      { numRuns: runs(2000) },
    );
  }, 30_000 * Math.max(1, Number(process.env.QMPSH_FUZZ_SCALE ?? 1) || 1));
});
