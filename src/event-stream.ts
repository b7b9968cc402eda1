/**
 * Events as an async iterable: `for await (const e of client.events({...}))`.
 *
 * The stream subscribes when it is made, not when iteration starts, so code
 * that makes it before sending a command misses no event that QEMU sends
 * before the command's reply (qmp-spec "Asynchronous events": events may come
 * at any time, even between a request and its reply; QMP-NOTES "Session" 5).
 *
 * Bounded: events wait in a buffer of `maxBuffered` (default 1000) until they
 * are read. One more and the stream ends with EventOverflowError (code
 * QMP_EVENT_OVERFLOW) after the buffered events are read: nothing is dropped
 * silently and memory does not grow without bound. The session itself goes on.
 *
 * It ends (iteration finishes) when the session closes normally (close(),
 * quit), throws the session's error when it ends abnormally, throws an
 * AbortError (InterruptedError) on `signal`, and unsubscribes on `break`,
 * `return()` or close().
 */
import { ConnectionClosedError, EventOverflowError, InterruptedError, type QmpError } from './errors.js';
import { eventFilter, type EventSource } from './events.js';
import type { EventMessage } from './protocol/messages.js';

export interface EventStreamOptions {
  /** Event names or globs (`BLOCK_JOB_*`, `JOB_STATUS_CHANGE`), case-insensitive; none = every event. */
  names?: readonly string[];
  /** Only the events for which this returns true (after `names`). */
  filter?: (event: EventMessage) => boolean;
  /** Ends the stream with an AbortError. */
  signal?: AbortSignal;
  /** Events kept unread before the stream overflows (default 1000). */
  maxBuffered?: number;
}

export const DEFAULT_MAX_BUFFERED = 1000;

export class EventStream implements AsyncIterableIterator<EventMessage> {
  private readonly buffer: EventMessage[] = [];
  private readonly accept: (event: EventMessage) => boolean;
  private readonly limit: number;
  /** Set once the stream ends: undefined = ended normally. */
  private ending: { error: QmpError | undefined } | undefined;
  private reader: { resolve: (r: IteratorResult<EventMessage>) => void; reject: (e: unknown) => void } | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly onEvent = (event: EventMessage) => this.push(event);
  private readonly onClose = (error?: QmpError) => this.end(error);
  private readonly onAbort = () => this.end(new InterruptedError('stopped reading events: aborted', { cause: this.signal?.reason }));

  constructor(
    private readonly source: EventSource,
    options: EventStreamOptions = {},
  ) {
    this.accept = eventFilter({ names: [...(options.names ?? [])], ...(options.filter ? { predicate: options.filter } : {}) });
    this.limit = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    this.signal = options.signal;
    if (this.signal?.aborted) {
      this.onAbort();
      return;
    }
    if (source.state === 'closed') {
      this.end(new ConnectionClosedError('the session is closed: no more events'));
      return;
    }
    source.on('event', this.onEvent);
    source.on('close', this.onClose);
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Events received and not read yet. */
  get buffered(): number {
    return this.buffer.length;
  }

  private push(event: EventMessage): void {
    if (this.ending) return;
    let accepted: boolean;
    try {
      accepted = this.accept(event);
    } catch (err) {
      // The user's filter threw: the stream ends with that error.
      this.end(err as QmpError);
      return;
    }
    if (!accepted) return;
    if (this.reader) {
      const { resolve } = this.reader;
      this.reader = undefined;
      resolve({ value: event, done: false });
      return;
    }
    if (this.buffer.length >= this.limit) {
      this.end(new EventOverflowError(this.limit));
      return;
    }
    this.buffer.push(event);
  }

  private unsubscribe(): void {
    this.source.off('event', this.onEvent);
    this.source.off('close', this.onClose);
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Ends the stream: buffered events are still read, then `error` is thrown (or iteration ends). */
  private end(error: QmpError | undefined): void {
    if (this.ending) return;
    this.ending = { error };
    this.unsubscribe();
    if (this.reader) {
      const { resolve, reject } = this.reader;
      this.reader = undefined;
      if (error) reject(error);
      else resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<EventMessage>> {
    const event = this.buffer.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.ending) {
      const { error } = this.ending;
      // The error is thrown once; after it the stream is simply done.
      this.ending = { error: undefined };
      return error ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
    }
    if (this.reader) return Promise.reject(new Error('EventStream.next() called again before the previous call settled'));
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  /** Stops the stream (what `break` in for-await calls): unsubscribes and drops what is buffered. */
  return(): Promise<IteratorResult<EventMessage>> {
    this.buffer.length = 0;
    this.end(undefined);
    this.ending = { error: undefined };
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Same as return(): for `using` / explicit stopping. */
  close(): void {
    void this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
