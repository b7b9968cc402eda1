/** EventStream on a scripted event source: no socket, every edge by hand. */
import { describe, expect, it } from 'vitest';
import { ConnectionClosedError, EventOverflowError, type QmpError } from '../../src/errors.js';
import { EventStream } from '../../src/event-stream.js';
import type { EventSource } from '../../src/events.js';
import type { EventMessage } from '../../src/protocol/messages.js';

class Source implements EventSource {
  state = 'ready';
  events = new Set<(e: EventMessage) => void>();
  closes = new Set<(e?: QmpError) => void>();
  on(name: 'event' | 'close', l: never): this {
    (name === 'event' ? this.events : this.closes).add(l);
    return this;
  }
  off(name: 'event' | 'close', l: never): this {
    (name === 'event' ? this.events : this.closes).delete(l);
    return this;
  }
  emit(name: string, data?: Record<string, number>): void {
    for (const l of [...this.events]) l({ event: name, ...(data ? { data } : {}), timestamp: { seconds: 0, microseconds: 0 } });
  }
  close(error?: QmpError): void {
    this.state = 'closed';
    for (const l of [...this.closes]) l(error);
  }
}

describe('EventStream', () => {
  it('matches names by glob, case-insensitively, and hands events to a waiting reader', async () => {
    const source = new Source();
    const stream = new EventStream(source as never, { names: ['block_job_*'] });
    const next = stream.next();
    source.emit('STOP');
    source.emit('BLOCK_JOB_READY');
    await expect(next).resolves.toMatchObject({ value: { event: 'BLOCK_JOB_READY' }, done: false });
  });

  it('a filter that throws ends the stream with its error, after what was buffered', async () => {
    const source = new Source();
    const stream = new EventStream(source as never, {
      filter: (e) => {
        if (e.event === 'BAD') throw new Error('filter bug');
        return true;
      },
    });
    source.emit('A');
    source.emit('BAD');
    source.emit('B');
    await expect(stream.next()).resolves.toMatchObject({ value: { event: 'A' } });
    await expect(stream.next()).rejects.toThrow('filter bug');
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
    expect(source.events.size).toBe(0);
  });

  it('refuses a second next() while one is pending; return() unsubscribes and drops the buffer', async () => {
    const source = new Source();
    const stream = new EventStream(source as never);
    const first = stream.next();
    await expect(stream.next()).rejects.toThrow(/called again/);
    source.emit('A');
    await expect(first).resolves.toMatchObject({ value: { event: 'A' } });
    source.emit('B');
    expect(stream.buffered).toBe(1);
    await expect(stream.return()).resolves.toEqual({ value: undefined, done: true });
    expect(stream.buffered).toBe(0);
    expect(source.events.size + source.closes.size).toBe(0);
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('overflows at maxBuffered + 1 unread events', async () => {
    const source = new Source();
    const stream = new EventStream(source as never, { maxBuffered: 1 });
    source.emit('A');
    source.emit('B');
    await expect(stream.next()).resolves.toMatchObject({ value: { event: 'A' } });
    await expect(stream.next()).rejects.toBeInstanceOf(EventOverflowError);
  });

  it('on a closed session, or an aborted signal, it ends at once: ConnectionClosedError, AbortError', async () => {
    const closed = new Source();
    closed.state = 'closed';
    await expect(new EventStream(closed as never).next()).rejects.toBeInstanceOf(ConnectionClosedError);
    const open = new Source();
    await expect(new EventStream(open as never, { signal: AbortSignal.abort() }).next()).rejects.toMatchObject({ name: 'AbortError' });
    expect(open.events.size).toBe(0);
  });

  it('ends (done) when the session closes normally, throws its error when it fails', async () => {
    const a = new Source();
    const normal = new EventStream(a as never);
    a.close();
    await expect(normal.next()).resolves.toEqual({ value: undefined, done: true });
    const b = new Source();
    const failed = new EventStream(b as never);
    const pending = failed.next();
    b.close(new ConnectionClosedError('gone'));
    await expect(pending).rejects.toThrow('gone');
  });
});
