import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { runs } from '../helpers/fuzz.js';
import { describe, expect, it } from 'vitest';
import { JsonFramer } from '../../src/protocol/framing.js';
import { MessageTooLargeError, ProtocolError } from '../../src/errors.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const PLAIN = fixture('qemu-7.2-plain.bin');
const PRETTY = fixture('qemu-7.2-pretty.bin');

function frameAll(chunks: Buffer[], max?: number): string[] {
  const framer = new JsonFramer(max);
  return chunks.flatMap((c) => framer.push(c));
}

/** Splits a buffer at the given (sorted, deduplicated) offsets. */
function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('JsonFramer', () => {
  it('splits a recorded QEMU session into its 14 messages, like its \\r\\n lines', () => {
    const lines = PLAIN.toString('utf8').split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(14);
    expect(frameAll([PLAIN])).toEqual(lines);
  });

  it('frames a pretty=on monitor (one message over many lines) into the same messages', () => {
    const pretty = frameAll([PRETTY]).map((t) => JSON.parse(t));
    const plain = frameAll([PLAIN]).map((t) => JSON.parse(t));
    const strip = (m: Record<string, unknown>) => ({ ...m, timestamp: undefined });
    expect(pretty).toHaveLength(14);
    expect(pretty.map(strip)).toEqual(plain.map(strip));
  });

  it('handles one message over many reads and many messages in one read', () => {
    const a = '{"return": {}, "id": 1}\r\n';
    const b = '{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}\r\n';
    expect(frameAll([Buffer.from(a + b + a)])).toHaveLength(3);
    const bytes = Buffer.from(a);
    const drip = [...bytes].map((byte) => Buffer.from([byte]));
    expect(frameAll(drip)).toEqual([a.trimEnd()]);
  });

  it('ignores braces, brackets and escaped quotes inside strings', () => {
    const text = '{"return": "}{ ][ \\" \\\\", "id": "a\\"}"}';
    expect(frameAll([Buffer.from(`${text}\r\n${text}`)])).toEqual([text, text]);
  });

  it('keeps multi-byte UTF-8 split across reads intact', () => {
    const text = '{"return": "caf\u00e9 \u{1F600}"}';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(frameAll([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([text]);
    }
  });

  it('rejects bytes that are not JSON between messages', () => {
    const framer = new JsonFramer();
    expect(() => framer.push(Buffer.from('{"a":1}\r\nhello'))).toThrow(ProtocolError);
    // Stays failed: no half-state is reused.
    expect(() => framer.push(Buffer.from('{}'))).toThrow(ProtocolError);
  });

  it('rejects invalid UTF-8', () => {
    const framer = new JsonFramer();
    expect(() => framer.push(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))).toThrow(/UTF-8/);
  });

  it('enforces the size cap, also on a message that never ends, holding no more than the cap', () => {
    const framer = new JsonFramer(1000);
    framer.push(Buffer.from('{"return": "'));
    expect(() => {
      for (let i = 0; i < 100; i++) framer.push(Buffer.alloc(100, 0x61));
    }).toThrow(MessageTooLargeError);
    expect(() => frameAll([Buffer.from(`{"a":"${'x'.repeat(2000)}"}`)], 1000)).toThrow(/size limit of 1000/);
    // Exactly at the cap is fine.
    const exact = `{"a":"${'x'.repeat(992)}"}`;
    expect(exact.length).toBe(1000);
    expect(frameAll([Buffer.from(exact)], 1000)).toEqual([exact]);
  });

  it('refuses nesting deeper than QEMU itself accepts (1024), without recursion', () => {
    const ok = `${'['.repeat(1024)}${']'.repeat(1024)}`;
    expect(frameAll([Buffer.from(ok)])).toEqual([ok]);
    const deep = Buffer.from(`{"return":${'['.repeat(100_000)}`);
    expect(() => frameAll([deep])).toThrow(/nested deeper than 1024/);
  });

  it('property: any chunking of a recorded session gives the same messages', () => {
    for (const session of [PLAIN, PRETTY]) {
      const whole = frameAll([session]);
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 60 }), (cuts) => {
          expect(frameAll(splitAt(session, cuts))).toEqual(whole);
        }),
        { numRuns: runs(300) },
      );
    }
  });

  it('property: any stream of JSON objects, however chunked, comes back whole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.constantFrom('', '\r\n', '\n', ' '),
        (objects, cuts, sep) => {
          const texts = objects.map((o) => JSON.stringify(o, null, cuts.length % 2 ? 4 : undefined));
          const stream = Buffer.from(texts.join(sep));
          expect(frameAll(splitAt(stream, cuts)).map((t) => JSON.parse(t))).toEqual(
            texts.map((t) => JSON.parse(t)),
          );
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('property: random bytes throw nothing but ProtocolError', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const framer = new JsonFramer(256);
        try {
          for (const c of chunks) framer.push(Buffer.from(c));
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: runs(500) },
    );
  });
});
