/**
 * qmpsh/testing's scripted QMP server, as users' tests would drive it, and
 * what only a scripted peer can show: an event stream that overflows, a
 * session that dies under node's events.on.
 */
import { on, type EventEmitter } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  CommandError,
  ConnectionClosedError,
  connect,
  EventOverflowError,
  TimeoutError,
  type EventMessage,
} from '../../src/index.js';
import { createQmpServer, NO_REPLY, QmpServerError } from '../../src/testing/index.js';

/** Raw lines from the server after sending `text` (no client library in between). */
async function raw(path: string, text: string, lines: number): Promise<unknown[]> {
  const socket = net.connect(path);
  let buffer = '';
  const got: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (d) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        got.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 2);
      }
      if (got.length >= lines) resolve();
    });
    socket.write(text);
  });
  socket.destroy();
  return got;
}

describe('createQmpServer (qmpsh/testing)', () => {
  it('greets, refuses commands before negotiation, matches replies by id, answers unparsable input without an id', async () => {
    await using server = await createQmpServer({ version: { major: 10, minor: 0, micro: 0 } });
    const got = await raw(
      server.path,
      '{"execute":"query-status","id":"a"}{"execute":"qmp_capabilities","id":7}{"execute":"qmp_capabilities","id":8}{"execute":"nosuch","id":[1]}{"bad"\n}',
      6,
    );
    expect(got[0]).toMatchObject({ QMP: { version: { qemu: { major: 10, minor: 0, micro: 0 } }, capabilities: ['oob'] } });
    expect(got[1]).toMatchObject({ error: { class: 'CommandNotFound', desc: expect.stringMatching(/capabilities negotiation/) }, id: 'a' });
    expect(got[2]).toEqual({ return: {}, id: 7 });
    expect(got[3]).toMatchObject({ error: { class: 'CommandNotFound' }, id: 8 });
    expect(got[4]).toEqual({ error: { class: 'CommandNotFound', desc: 'The command nosuch has not been found' }, id: [1] });
    expect(got[5]).toEqual({ error: { class: 'GenericError', desc: 'JSON parse error' } });
  });

  it('answers with handlers: values, errors, events before the reply, silence; records requests', async () => {
    await using server = await createQmpServer({
      commands: {
        'query-status': () => ({ status: 'running', running: true }),
        stop: (_args, ctx) => {
          ctx.event('STOP');
          return {};
        },
        'blockdev-del': (args) => {
          throw new QmpServerError('GenericError', `Failed to find node with node-name='${String(args['node-name'])}'`);
        },
        hang: () => NO_REPLY,
      },
    });
    await using client = await connect(server.path);
    await expect(client.execute('query-status')).resolves.toEqual({ status: 'running', running: true });
    const stopped = client.waitForEvent('STOP');
    await client.execute('stop');
    await expect(stopped).resolves.toMatchObject({ event: 'STOP', timestamp: { seconds: expect.any(Number) } });
    const error = await client.execute('blockdev-del', { 'node-name': 'n1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).reply?.error).toEqual({ class: 'GenericError', desc: "Failed to find node with node-name='n1'" });
    await expect(client.execute('hang', undefined, { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
    expect(server.requests.map((r) => r.execute)).toEqual(['query-status', 'stop', 'blockdev-del', 'hang']);
    await expect(server.nextRequest()).resolves.toMatchObject({ execute: 'query-status' });
    expect(server.connections).toBe(1);
  });

  it('sends events on demand to negotiated clients; quit says SHUTDOWN, replies and hangs up', async () => {
    await using server = await createQmpServer();
    const client = await connect(server.path);
    await server.negotiated();
    const stream = client.events({ names: ['DEVICE_*', 'SHUTDOWN'] });
    server.event('DEVICE_DELETED', { device: 'nic0', path: '/machine/peripheral/nic0' });
    server.event('RESET');
    await client.execute('quit');
    const seen: EventMessage[] = [];
    for await (const e of stream) seen.push(e);
    expect(seen.map((e) => [e.event, e.data?.device ?? e.data?.reason])).toEqual([
      ['DEVICE_DELETED', 'nic0'],
      ['SHUTDOWN', 'host-qmp-quit'],
    ]);
    expect(client.state).toBe('closed');
  });
});

describe('event streams against a scripted peer', () => {
  it('overflow: past maxBuffered unread events the stream yields what it kept, then EventOverflowError; the session goes on', async () => {
    await using server = await createQmpServer({
      commands: {
        burst: (_args, ctx) => {
          for (let i = 0; i < 5; i++) ctx.event('TICK', { i });
          return {};
        },
      },
    });
    await using client = await connect(server.path);
    const stream = client.events({ names: ['TICK'], maxBuffered: 3 });
    await client.execute('burst');
    expect(stream.buffered).toBe(3);
    const got: number[] = [];
    const error = await (async () => {
      for await (const e of stream) got.push(e.data?.i as number);
    })().catch((e: unknown) => e);
    expect(got).toEqual([0, 1, 2]);
    expect(error).toBeInstanceOf(EventOverflowError);
    expect((error as EventOverflowError).code).toBe('QMP_EVENT_OVERFLOW');
    expect(client.listenerCount('event')).toBe(0);
    await expect(client.execute('burst')).resolves.toEqual({});
  });

  it("the peer going away ends events.on(client, 'event') with the session's error, and a stream with it too", async () => {
    const server = await createQmpServer();
    const client = await connect(server.path);
    const stream = client.events();
    const iterator = on(client as unknown as EventEmitter, 'event');
    const next = iterator.next();
    await server.close();
    await expect(next).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(stream.next()).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });
});

describe('close()', () => {
  it('resolves once the socket is gone (the server sees the client leave), and at once after the peer hung up', async () => {
    await using server = await createQmpServer();
    const client = await connect(server.path);
    await server.negotiated();
    expect(server.connections).toBe(1);
    const leftAt = new Promise<void>((resolve) => {
      const poll = () => (server.connections === 0 ? resolve() : setImmediate(poll));
      poll();
    });
    await client.close();
    expect(client.state).toBe('closed');
    await leftAt;
    const other = await connect(server.path);
    const ended = new Promise((resolve) => other.once('close', resolve));
    await other.execute('quit');
    await ended;
    // Nothing left to wait for: settled before the next turn of the event loop (not the fallback timer).
    const next = new Promise((resolve) => setImmediate(() => resolve('later')));
    await expect(Promise.race([other.close().then(() => 'now'), next])).resolves.toBe('now');
  });
});
