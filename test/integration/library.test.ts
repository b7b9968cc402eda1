/**
 * The library as a user meets it, against a real QEMU: event streams
 * subscribed before the command, waitForEvent, node's events.on/once,
 * `await using`, aborts as AbortError, errors that keep request and reply,
 * the schema, and a block job followed as an async iterable.
 */
import { on, once, type EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommandError,
  connect,
  describe as describeName,
  ExecuteError,
  fetchSchema,
  followJob,
  InterruptedError,
  typeArguments,
  UsageError,
  validateArguments,
  type EventMessage,
  type QmpClient,
} from '../../src/index.js';
import { startQemu, type Qemu } from '../helpers/qemu.js';

let qemu: Qemu;
let driver: QmpClient;
beforeAll(async () => {
  // Two monitors: the test's client on one, a driver making events on the other.
  qemu = await startQemu({ monitors: ['plain', 'plain'] });
  driver = await connect(qemu.sockets[1]!);
});
afterAll(async () => {
  await driver?.close();
  await qemu?.stop();
});

const names = (events: EventMessage[]) => events.map((e) => e.event);

describe('events as an async iterable', () => {
  it('subscribes at the call: the STOP that comes before the reply to stop is in the stream', async () => {
    await using client = await connect(qemu.sock);
    const stream = client.events({ names: ['STOP', 'RES*'] });
    await client.execute('stop');
    await client.execute('cont');
    const seen: EventMessage[] = [];
    for await (const event of stream) {
      seen.push(event);
      if (seen.length === 2) break;
    }
    expect(names(seen)).toEqual(['STOP', 'RESUME']);
    expect(client.listenerCount('event')).toBe(0); // break unsubscribed
  });

  it('filters by a predicate, ends when the session closes, and throws an AbortError on its signal', async () => {
    const client = await connect(qemu.sock);
    const onlyResume = client.events({ filter: (e) => e.event === 'RESUME' });
    const controller = new AbortController();
    const aborted = client.events({ signal: controller.signal });
    await driver.execute('stop');
    await driver.execute('cont');
    await client.execute('query-status'); // both events came before this reply
    controller.abort();
    await expect(aborted.next()).resolves.toMatchObject({ value: { event: 'STOP' } });
    await expect(aborted.next()).resolves.toMatchObject({ value: { event: 'RESUME' } });
    const error = await aborted.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as Error).name).toBe('AbortError');
    await client.close();
    const seen: string[] = [];
    for await (const e of onlyResume) seen.push(e.event);
    expect(seen).toEqual(['RESUME']);
  });

  it('waitForEvent resolves with the event named (or globbed) before the command that causes it', async () => {
    await using client = await connect(qemu.sock);
    const stopped = client.waitForEvent('ST*', { timeoutMs: 10_000 });
    await driver.execute('stop');
    await expect(stopped).resolves.toMatchObject({ event: 'STOP' });
    const resumed = client.waitForEvent({ filter: (e) => e.event === 'RESUME' });
    await driver.execute('cont');
    await expect(resumed).resolves.toMatchObject({ event: 'RESUME' });
  });

  it("works with node's events.on and events.once", async () => {
    const client = await connect(qemu.sock);
    // Not an EventEmitter subclass: the same calls at run time, a cast for the types.
    const emitter = client as unknown as EventEmitter;
    const iterator = on(emitter, 'event');
    await driver.execute('stop');
    const { value } = await iterator.next();
    expect((value as [EventMessage])[0].event).toBe('STOP');
    await iterator.return?.();
    await driver.execute('cont');
    const closed = once(emitter, 'close');
    await client.close();
    await expect(closed).resolves.toEqual([undefined]);
    expect(client.state).toBe('closed');
  });
});

describe('ending and aborting', () => {
  it('`await using` closes the client at the end of the block; close() is a Promise', async () => {
    let outer: QmpClient | undefined;
    {
      await using client = await connect(qemu.sock);
      outer = client;
      expect(client.state).toBe('ready');
    }
    expect(outer.state).toBe('closed');
    await expect(outer.close()).resolves.toBeUndefined();
  });

  it('execute() with an aborted signal sends nothing, starts no timer, and rejects with an AbortError', async () => {
    await using client = await connect(qemu.sock, { commandTimeoutMs: 600_000 });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const sent: string[] = [];
    client.on('wire', (m) => m.direction === 'out' && sent.push(m.text));
    const error = await client.execute('query-status', undefined, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ERR_INTERRUPTED' });
    expect(sent).toEqual([]);
    expect(timers()).toBe(before);
  });

  it('connect() with an aborted signal does not connect', async () => {
    const error = await connect(qemu.sock, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ERR_INTERRUPTED' });
    // The monitor serves one client at a time: it is free, so nothing held it.
    await using client = await connect(qemu.sock, { connectTimeoutMs: 5000 });
    expect(client.state).toBe('ready');
  });
});

describe('errors keep the request and the reply', () => {
  it('an error reply is a CommandError (also exported as ExecuteError) with both', async () => {
    await using client = await connect(qemu.sock);
    const error = await client.execute('query-nosuch', { x: 1 }).catch((e: unknown) => e);
    expect(ExecuteError).toBe(CommandError);
    expect(error).toBeInstanceOf(ExecuteError);
    const e = error as CommandError;
    expect(e.request).toMatchObject({ execute: 'query-nosuch', arguments: { x: 1 } });
    expect(e.reply?.error.class).toBe('CommandNotFound');
    expect(e.reply?.id).toBe(e.request?.id);
  });
});

describe('schema access', () => {
  it('types key=value words by the live schema, checks arguments and describes commands', async () => {
    await using client = await connect(qemu.sock);
    const schema = await fetchSchema(client);
    expect(typeArguments(schema, 'blockdev-add', ['driver=null-co', 'node-name=123', 'read-zeroes=on', 'size=18446744073709551615'])).toEqual({
      driver: 'null-co',
      'node-name': '123',
      'read-zeroes': true,
      size: 18446744073709551615n,
    });
    expect(() => typeArguments(schema, 'query-stauts', [])).toThrow(/did you mean query-status/);
    expect(() => validateArguments(schema, 'block_set_io_throttle', { devic: 'x' })).toThrow(UsageError);
    expect(describeName(schema, 'query-status')).toMatch(/returns: /);
    expect(describeName(schema).split('\n')).toContain('query-status');
  });
});

describe('followJob', () => {
  it('yields a backup job to its end as an async iterable', async () => {
    await using client = await connect(qemu.sock);
    for (const node of ['src', 'dst']) {
      await client.execute('blockdev-add', { driver: 'null-co', 'node-name': node, size: 32 * 1024 * 1024 });
    }
    await client.execute('blockdev-backup', { device: 'src', target: 'dst', sync: 'full', 'job-id': 'j1', 'auto-dismiss': false, speed: 64 * 1024 * 1024 });
    const states = [];
    for await (const job of followJob(client, 'j1', { intervalMs: 50 })) states.push(job);
    const last = states.at(-1)!;
    expect(last).toMatchObject({ id: 'j1', type: 'backup', status: 'concluded', total: 32 * 1024 * 1024 });
    expect(last.done).toBe(last.total);
    await client.execute('job-dismiss', { id: 'j1' });
  });
});
