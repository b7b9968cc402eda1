/**
 * Fuzzing the session: whatever bytes a server sends, in whatever pieces,
 * the client settles (a reply or one of the project's own errors), never
 * hangs and never throws anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QmpError } from '../../src/errors.js';
import { QmpClient } from '../../src/session.js';
import { fakeServer, GREETING } from '../helpers/fake-server.js';
import { runs } from '../helpers/fuzz.js';

const greeting = `${JSON.stringify(GREETING)}\r\n`;

/** Pieces a server might send: fragments of valid QMP, and junk. */
const piece = fc.oneof(
  fc.constantFrom(
    greeting,
    '{"return": {}, "id": 1}\r\n',
    '{"return": {}, "id": 2}\r\n',
    '{"error": {"class": "GenericError", "desc": "x"}}\r\n',
    '{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}\r\n',
    '{"return": 18446744073709551615, "id": 2}',
    '{', '}', '[', ']', '"', '\\', '\r\n', '{"QMP": 1}', 'null', '\u00e9',
  ),
  fc.string({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a).toString('latin1')),
);

describe('session fuzz', () => {
  it('settles on any server byte stream with a reply or a QmpError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), fc.boolean(), async (pieces, closeAtEnd) => {
        const server = await fakeServer(async (conn) => {
          for (const p of pieces) {
            conn.send(Buffer.from(p, 'latin1'));
            await new Promise((r) => setImmediate(r));
          }
          if (closeAtEnd) conn.socket.end();
        });
        try {
          const outcome = await QmpClient.connect(server.path, { connectTimeoutMs: 300, commandTimeoutMs: 300, maxMessageBytes: 4096 })
            .then(async (client) => {
              const result = await client.execute('query-status').then(
                () => 'reply',
                (e: unknown) => e,
              );
              client.close();
              return result;
            })
            .catch((e: unknown) => e);
          if (outcome !== 'reply') expect(outcome).toBeInstanceOf(QmpError);
        } finally {
          await server.close();
        }
      }),
      { numRuns: runs(60) },
    );
  }, 120_000);
});
