/**
 * A listener that throws (a formatter meeting data nobody foresaw, or a bug
 * in the program using the library) stops neither the other listeners nor
 * the session: the reply that came in the same read still arrives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient } from '../../src/session.js';
import type { EventMessage } from '../../src/protocol/messages.js';
import { openSession, type Runtime } from '../../src/cli/core/session.js';
import type { Common } from '../../src/cli/options/decide.js';
import { PLAIN } from '../../src/cli/output/format.js';
import type { Io } from '../../src/cli/output/io.js';
import { useFakeServers, type FakeConnection } from '../helpers/fake-server.js';
import { KILL_AFTER_MS, runChild } from '../helpers/run-child.js';

const serve = useFakeServers(afterEach);

/** On the command: an event and the reply in one write. */
async function eventAndReply(c: FakeConnection): Promise<void> {
  await c.negotiate();
  const req = await c.nextRequest();
  c.send(`{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}\r\n{"return": {"ok": true}, "id": ${JSON.stringify(req.id)}}\r\n`);
}

describe('QmpClient: a listener that throws', () => {
  it('goes to onListenerError; the other listeners and the reply in the same read still come', async () => {
    const server = await serve(eventAndReply);
    const failures: Array<[unknown, string, unknown]> = [];
    const client = await QmpClient.connect(server.path, { onListenerError: (e, name, payload) => failures.push([e, name, payload]) });
    const seen: string[] = [];
    client.on('event', () => {
      throw new Error('boom');
    });
    client.on('event', (e: EventMessage) => seen.push(e.event));
    await expect(client.execute('query-status')).resolves.toEqual({ ok: true });
    client.close();
    expect(seen).toEqual(['STOP']);
    expect(failures).toHaveLength(1);
    expect((failures[0]![0] as Error).message).toBe('boom');
    expect(failures[0]![1]).toBe('event');
    expect(failures[0]![2]).toMatchObject({ event: 'STOP' });
  });

  it('without onListenerError, is thrown again on the next tick (an uncaught exception), after the reply is delivered', async () => {
    const server = await serve(eventAndReply);
    const r = await runChild(
      `
      process.on('uncaughtException', (e) => say('uncaught ' + e.message));
      const client = await QmpClient.connect(socket);
      client.on('event', () => { throw new Error('boom'); });
      say(await client.execute('query-status'));
      client.close();
      `,
      server.path,
    );
    expect(r.killed).toBe(false);
    expect(r.code).toBe(0);
    expect(r.lines).toContain('{"ok":true}');
    expect(r.lines).toContain('uncaught boom');
  }, KILL_AFTER_MS + 10_000);
});

describe('the CLI session factory', () => {
  it('shows the message raw when showing it failed, and goes on', async () => {
    const server = await serve(eventAndReply);
    const warnings: string[] = [];
    const sink = () => {};
    const io = { out: sink, outText: sink, outRaw: sink, err: sink, error: sink, control: sink, watchBackpressure: () => () => {}, warn: (m: string) => warnings.push(m), outPaint: PLAIN, errPaint: PLAIN } as unknown as Io;
    const common: Common = {
      connectTimeoutMs: 5000, timeoutMs: 10_000, timeoutGiven: false, maxMessageBytes: 1 << 20, waitSocketMs: 0,
      verbose: false,
      quiet: false, debug: false, log: undefined, showSecrets: false, readOnly: false, agent: false, validate: false, color: false,
    };
    const rt: Runtime = { io, common, log: undefined, signal: new AbortController().signal };
    const session = openSession(rt, server.path, { events: 'none' });
    session.client.on('event', () => {
      throw new RangeError('no such date');
    });
    await session.open();
    await expect(session.client.execute('query-status')).resolves.toEqual({ ok: true });
    session.close();
    expect(warnings).toEqual([
      'could not show an event (no such date); as received: {"event":"STOP","timestamp":{"seconds":1,"microseconds":2}}',
    ]);
  });
});
