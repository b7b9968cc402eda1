/**
 * A QMP session: greeting, capability negotiation, ids, pending replies,
 * timeouts and events, over any Transport.
 *
 * States (a call in the wrong one fails with StateError naming both):
 *
 *   connecting -> greeting -> negotiating -> ready -> closed
 *
 * Replies are matched by id, never by order (QMP-NOTES, "Pitfalls"): events may
 * come before or between replies, and a request QEMU could not parse gets an
 * error without an id (qmp-spec "Error"), which belongs to no pending command.
 */
import { parseAddress, formatAddress, type Address } from './address.js';
import {
  CommandError,
  ConnectError,
  ConnectionClosedError,
  InterruptedError,
  NegotiationError,
  NumberRangeError,
  ProtocolError,
  QmpError,
  StateError,
  TimeoutError,
  UsageError,
} from './errors.js';
import { JsonFramer, DEFAULT_MAX_MESSAGE_BYTES } from './protocol/framing.js';
import { parseJson, stringifyJson, type JsonValue } from './protocol/json.js';
import {
  classify,
  type Classified,
  type Greeting,
  type JsonObject,
  type Request,
} from './protocol/messages.js';
import type { Transport } from './transport/index.js';
import { connectWithRetry, nonFinitePath, pick } from './session-helpers.js';
import type { ExecuteOptions, QmpClientOptions, SessionState } from './session-types.js';
import { ClientListeners } from './session-listeners.js';
import { EventStream, type EventStreamOptions } from './event-stream.js';
import { waitForEvent, type EventFilter } from './events.js';
import type { EventMessage } from './protocol/messages.js';

export type { ClientEvents, ExecuteOptions, QmpClientOptions, SessionState, WireMessage } from './session-types.js';
import { silentPeerError } from './transport/peer.js';
import { delayMs, timeLimitMs } from './timeouts.js';

interface Pending {
  command: string;
  /** As sent: kept by the CommandError of an error reply. */
  request: Request;
  resolve: (value: JsonValue) => void;
  reject: (error: QmpError) => void;
  expectsClose: boolean;
  internal?: boolean;
  cleanup: () => void;
}

/** Late replies to abandoned commands are dropped by id; keep at most this many ids. */
const MAX_ABANDONED = 1024;

/** What waitForEvent() waits for: a name or glob, or names and a predicate. */
export type EventWait = string | { names?: readonly string[]; filter?: (event: EventMessage) => boolean };

export class QmpClient extends ClientListeners implements AsyncDisposable {
  readonly address: Address;
  private readonly options: Required<Omit<QmpClientOptions, 'signal' | 'onListenerError' | 'registerCleanup'>> &
    Pick<QmpClientOptions, 'signal' | 'onListenerError' | 'registerCleanup'>;
  /** pause(): not reading from the server until resume(). */
  private paused = false;
  private transport: Transport | undefined;
  private framer: JsonFramer;
  private stateValue: SessionState = 'connecting';
  /** Why the session ended, when the peer ended it. */
  private closeError: QmpError | undefined;
  private greetingValue: Greeting | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly abandoned = new Set<number>();
  /** Resolves when the transport is gone (close()). */
  private closedPromise: Promise<void> | undefined;
  /** The transport said it closed (the peer hung up, or close() finished). */
  private transportGone = false;
  private handshake: { resolve: () => void; reject: (e: QmpError) => void } | undefined;
  private enabledCapabilities: string[] = [];
  /** Agent mode: a command timed out, so the channel may be out of step. */
  private needsSync = false;
  private quitting = false;

  /** Connects, reads the greeting and negotiates capabilities. */
  static async connect(target: string | Address, options: QmpClientOptions = {}): Promise<QmpClient> {
    const client = new QmpClient(typeof target === 'string' ? parseAddress(target) : target, options);
    await client.open();
    return client;
  }

  protected get onListenerError() {
    return this.options.onListenerError;
  }

  constructor(address: Address, options: QmpClientOptions = {}) {
    super();
    this.address = address;
    this.options = {
      // Checked here, once: a timer given 3e9 or Infinity would fire at once (timeouts.ts). 0 = no limit.
      connectTimeoutMs: timeLimitMs('connectTimeoutMs', options.connectTimeoutMs, 5000),
      commandTimeoutMs: timeLimitMs('commandTimeoutMs', options.commandTimeoutMs, 60000),
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      waitForSocketMs: delayMs('waitForSocketMs', options.waitForSocketMs, 0, true),
      capabilities: options.capabilities ?? [],
      agent: options.agent ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onListenerError ? { onListenerError: options.onListenerError } : {}),
      ...(options.registerCleanup ? { registerCleanup: options.registerCleanup } : {}),
    };
    this.framer = new JsonFramer(this.options.maxMessageBytes, { agentSync: this.options.agent });
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** The server's greeting (after connect). */
  get greeting(): Greeting {
    if (!this.greetingValue) throw new StateError(`no greeting yet: the session is ${this.stateValue}`);
    return this.greetingValue;
  }

  /** The capabilities enabled in negotiation (those asked for that the server offered). */
  get capabilities(): readonly string[] {
    return this.enabledCapabilities;
  }

  /**
   * The events that pass `options` (name globs, a predicate), as an async
   * iterable. Subscribed now: make it before sending the command whose
   * events you want. Bounded (maxBuffered, default 1000): past it the stream
   * ends with EventOverflowError. See event-stream.ts.
   */
  events(options: EventStreamOptions = {}): EventStream {
    return new EventStream(this, options);
  }

  /**
   * The next event with this name (or glob), or that passes the filter.
   * Subscribed at the call, so call it before sending the command that causes
   * the event. Rejects with TimeoutError after timeoutMs (default: none),
   * an AbortError (InterruptedError) on signal, or the session's error.
   */
  waitForEvent(match: EventWait, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<EventMessage> {
    const filter: EventFilter =
      typeof match === 'string'
        ? { names: [match] }
        : { names: [...(match.names ?? [])], ...(match.filter ? { predicate: match.filter } : {}) };
    return waitForEvent(this, filter, options).promise;
  }

  /** Connect + greeting + qmp_capabilities, all within connectTimeoutMs. */
  async open(): Promise<void> {
    if (this.stateValue !== 'connecting' || this.transport) {
      throw new StateError(`cannot open a session that is ${this.stateValue}; expected connecting`);
    }
    const where = formatAddress(this.address);
    const limit = this.options.connectTimeoutMs;
    const signal = this.options.signal;
    // An abort before the call, or while connecting: no session, nothing left open.
    if (signal?.aborted) {
      this.stateValue = 'closed';
      throw new InterruptedError('not connected: aborted before connecting', { cause: signal.reason });
    }
    let transport: Transport;
    try {
      transport = await connectWithRetry(this.address, this.options);
    } catch (err) {
      // Whatever a transport made of the abort (ssh says it was logging in), it is an AbortError here.
      if (!signal?.aborted || err instanceof InterruptedError) throw err;
      this.stateValue = 'closed';
      throw new InterruptedError(`interrupted while connecting to ${where}`, { cause: err });
    }
    if (signal?.aborted) {
      this.stateValue = 'closed';
      transport.close();
      throw new InterruptedError(`interrupted while connecting to ${where}`, { cause: signal.reason });
    }
    const started = Date.now();
    this.transport = transport;
    this.stateValue = 'greeting';
    if (this.paused) transport.pause();
    transport.onData = (chunk) => this.receive(chunk);
    transport.onClose = (error) => this.transportClosed(error);

    if (this.options.agent) {
      // qemu-ga says nothing first and needs no negotiation.
      this.stateValue = 'ready';
      return;
    }
    const handshake = new Promise<void>((resolve, reject) => {
      this.handshake = { resolve, reject };
    });
    const remaining = limit ? Math.max(1, limit - (Date.now() - started)) : 0;
    const timer = remaining
      ? setTimeout(() => {
          const seconds = limit / 1000;
          this.fail(
            this.stateValue === 'greeting'
              ? silentPeerError(this.address, seconds)
              : new NegotiationError(
                  `no reply to qmp_capabilities from ${where} within ${seconds}s: QEMU is not responding`,
                ),
          );
        }, remaining)
      : undefined;
    const onAbort = () => this.fail(new InterruptedError(`interrupted while connecting to ${where}`, { cause: signal?.reason }));
    if (this.options.signal?.aborted) onAbort();
    else this.options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await handshake;
    } finally {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.handshake = undefined;
    }
  }

  /**
   * Sends a command and resolves with its `return` value; rejects with
   * CommandError for an `error` reply, TimeoutError, ConnectionClosedError, ...
   */
  execute(command: string, args?: JsonObject, options: ExecuteOptions = {}): Promise<JsonValue> {
    if (this.needsSync && command !== 'guest-sync-delimited' && !options.signal?.aborted) {
      this.needsSync = false;
      const token = Math.floor(Math.random() * 2 ** 31);
      return this.executeNow('guest-sync-delimited', { id: token }, { internal: true, ...pick(options) }).then(
        () => this.executeNow(command, args, options),
        (err: unknown) => {
          // Not back in step (e.g. interrupted): the next command syncs again.
          this.needsSync = true;
          throw err;
        },
      );
    }
    return this.executeNow(command, args, options);
  }

  private executeNow(command: string, args?: JsonObject, options: ExecuteOptions = {}): Promise<JsonValue> {
    if (this.stateValue !== 'ready') {
      // After the peer went away, that is the error (not the state it left behind).
      if (this.stateValue === 'closed' && this.closeError) return Promise.reject(this.closeError);
      return Promise.reject(
        new StateError(`cannot execute '${command}': the session is ${this.stateValue}, not ready`),
      );
    }
    const id = this.nextId++;
    const request: Request = { execute: command, ...(args ? { arguments: args } : {}), id };
    const text = stringifyJson(request);
    // JSON.stringify writes NaN and +-Infinity as null: refuse rather than send what was not meant.
    const nonFinite = text.includes('null') && args ? nonFinitePath(args) : undefined;
    if (nonFinite !== undefined) {
      return Promise.reject(
        new UsageError(`the argument '${nonFinite.path}' of '${command}' is ${nonFinite.value}, which JSON cannot carry`),
      );
    }
    // QEMU refuses requests past 64 MiB (json-streamer MAX_TOKEN_SIZE); we use
    // the same limit we accept, and never send what we would not read.
    const bytes = text.length > this.options.maxMessageBytes / 4 ? Buffer.byteLength(text) : text.length;
    if (bytes > this.options.maxMessageBytes) {
      return Promise.reject(
        new UsageError(
          `the request for '${command}' is ${bytes} bytes, over the limit of ${this.options.maxMessageBytes}`,
          { hint: 'maxMessageBytes' },
        ),
      );
    }
    // Aborted before the call: nothing is sent and no timer is started.
    if (options.signal?.aborted) {
      return Promise.reject(new InterruptedError(`'${command}' was not sent: interrupted`));
    }
    let timeoutMs: number;
    try {
      timeoutMs = timeLimitMs('timeoutMs', options.timeoutMs, this.options.commandTimeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    const expectsClose = options.expectsClose ?? command === 'quit';

    return new Promise<JsonValue>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const abandon = (error: QmpError) => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        this.abandoned.add(id);
        if (this.abandoned.size > MAX_ABANDONED) {
          this.abandoned.delete(this.abandoned.values().next().value as number);
        }
        cleanup();
        reject(error);
      };
      const onAbort = () =>
        abandon(new InterruptedError(`stopped waiting for '${command}' (it may still run in QEMU)`));
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      if (timeoutMs > 0) {
        const expire = () => {
          if (this.paused) {
            // Not reading (pause()): the reply may be waiting in the socket. Look again later.
            timer = setTimeout(expire, timeoutMs);
            return;
          }
          if (this.options.agent) this.needsSync = true;
          abandon(
            new TimeoutError(
              `no reply to '${command}' within ${timeoutMs / 1000}s: QEMU may be stopped or busy, ` +
                'and the command may still run',
              { hint: 'commandTimeoutMs' },
            ),
          );
        };
        timer = setTimeout(expire, timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { command, request, resolve, reject, expectsClose, cleanup, internal: options.internal === true });
      if (expectsClose) this.quitting = true;
      this.send(request, text, options.internal);
    });
  }

  /**
   * Stops reading from the server until resume(): for a consumer that cannot
   * keep up (output to a slow reader). Replies and events wait in the socket,
   * in order, and the server blocks when it is full; nothing is dropped. A
   * command's timeout that runs out meanwhile starts again (its reply may be
   * waiting unread).
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.transport?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.transport?.resume();
  }

  /**
   * Closes the session. Pending commands fail with ConnectionClosedError,
   * event streams end. Resolves when the connection is gone. Commands sent
   * but not answered may not have run (QMP-NOTES "Session" 8): await their
   * replies first.
   */
  close(): Promise<void> {
    if (this.stateValue !== 'closed') {
      this.quitting = true;
      this.shutdown(undefined, 'the session was closed before the reply came');
    }
    return this.closedPromise ?? Promise.resolve();
  }

  /** `await using client = await connect(...)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- receiving ---------------------------------------------------------

  private send(request: Request, text = stringifyJson(request), internal?: boolean): void {
    this.emit('wire', { direction: 'out', text, value: request as unknown as JsonValue, ...(internal ? { internal } : {}) });
    this.transport?.write(`${text}\n`);
  }

  private receive(chunk: Buffer): void {
    let texts: string[];
    try {
      texts = this.framer.push(chunk);
    } catch (err) {
      // Deliver what came before the bad bytes, then fail.
      this.fail(err instanceof QmpError ? err : new ProtocolError(String(err), { cause: err }));
      return;
    }
    for (const text of texts) {
      if (this.stateValue === 'closed') return;
      let classified: Classified;
      let value: JsonValue;
      try {
        value = parseJson(text);
      } catch (err) {
        this.fail(
          err instanceof NumberRangeError
            ? // Valid JSON (RFC 8259 lets a parser limit the range), but shown as null or 0 it would be a lie.
              new ProtocolError(`the server sent a number out of range: ${err.message}`, { cause: err })
            : err instanceof QmpError
              ? err
              : new ProtocolError(`the server sent invalid JSON: ${(err as Error).message}`, { cause: err }),
        );
        return;
      }
      try {
        classified = classify(value);
      } catch (err) {
        this.emit('wire', { direction: 'in', text, value });
        this.fail(err as QmpError);
        return;
      }
      this.emit('wire', { direction: 'in', text, value, internal: this.isInternalReply(classified) });
      this.dispatch(classified);
    }
  }

  private isInternalReply(msg: Classified): boolean {
    if (msg.kind !== 'return' && msg.kind !== 'error') return false;
    const id = msg.message.id;
    return typeof id === 'number' && this.pending.get(id)?.internal === true;
  }

  private dispatch(msg: Classified): void {
    switch (msg.kind) {
      case 'event':
        // Events before the greeting are tolerated (Ganeti #1649).
        this.emit('event', msg.message);
        return;
      case 'greeting':
        if (this.stateValue === 'negotiating' && stringifyJson(msg.message) === stringifyJson(this.greetingValue)) {
          // QEMU greets twice when a client connects while it sets up the
          // monitor (seen under --launch: the socket accepts before the
          // monitor's handlers are in, and QEMU reports the connection open
          // once from each thread). Each greeting restarts negotiation on its
          // side; coming before the reply to our qmp_capabilities, this one
          // was sent before QEMU read it, so that reply is the fresh
          // session's. Nothing to do.
          return;
        }
        if (this.stateValue !== 'greeting') {
          this.fail(new ProtocolError('the server sent a second greeting'));
          return;
        }
        this.greetingValue = msg.message;
        this.negotiate();
        return;
      case 'return':
      case 'error':
        this.reply(msg);
        return;
    }
  }

  private negotiate(): void {
    this.stateValue = 'negotiating';
    const id = this.nextId++;
    const offered = this.greetingValue?.QMP.capabilities ?? [];
    const enable = this.options.capabilities.filter((c) => offered.includes(c));
    this.enabledCapabilities = enable;
    const request: Request = { execute: 'qmp_capabilities', ...(enable.length ? { arguments: { enable } } : {}), id };
    this.pending.set(id, {
      command: 'qmp_capabilities',
      request,
      resolve: () => {
        this.stateValue = 'ready';
        this.handshake?.resolve();
      },
      reject: (error) =>
        this.fail(
          error instanceof CommandError
            ? new NegotiationError(`capability negotiation failed: ${error.message}`, { cause: error })
            : error,
        ),
      expectsClose: false,
      cleanup: () => {},
    });
    this.send(request);
  }

  private reply(msg: Extract<Classified, { kind: 'return' | 'error' }>): void {
    const id = msg.message.id;
    if (this.stateValue === 'greeting') {
      this.fail(new ProtocolError('the server sent a reply before its greeting'));
      return;
    }
    if (id === undefined) {
      // qmp-spec: a request that could not be parsed gets an error without an id.
      const what =
        msg.kind === 'error'
          ? `${msg.message.error.class}: ${msg.message.error.desc}`
          : 'a return value';
      this.emit('warning', `the server sent a reply without an id (ignored): ${what}`);
      return;
    }
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (!pending) {
      if (typeof id === 'number' && this.abandoned.delete(id)) return; // late reply after a timeout
      this.emit('warning', `the server sent a reply to an unknown id ${stringifyJson(id)} (ignored)`);
      return;
    }
    this.pending.delete(id as number);
    pending.cleanup();
    if (msg.kind === 'return') pending.resolve(msg.message.return);
    else {
      const { class: cls, desc } = msg.message.error;
      pending.reject(new CommandError(pending.command, cls, desc, 'QMP_COMMAND_ERROR', { request: pending.request, reply: msg.message }));
    }
  }

  // --- ending --------------------------------------------------------------

  private transportClosed(error?: Error): void {
    this.transportGone = true;
    if (this.stateValue === 'closed') return;
    const where = formatAddress(this.address);
    if (this.stateValue === 'greeting' || this.stateValue === 'connecting') {
      if (error instanceof QmpError) {
        this.shutdown(error); // the transport knows better (e.g. ssh could not open the remote socket)
        return;
      }
      this.shutdown(
        new ConnectError(
          `${where} closed the connection before sending a greeting: is it a QMP monitor?`,
          { cause: error },
        ),
      );
      return;
    }
    // quit: its reply races with EOF (QMP-NOTES "Session" 5); either order is success.
    for (const [id, p] of this.pending) {
      if (p.expectsClose) {
        this.pending.delete(id);
        p.cleanup();
        p.resolve({});
      }
    }
    if (this.quitting && this.pending.size === 0 && !this.framer.midMessage) {
      this.shutdown(undefined);
      return;
    }
    const midMessage = this.framer.midMessage ? ' in the middle of a message' : '';
    // The user's commands, not the tool's own look-ups (schema, completion).
    const what = [...this.pending.values()]
      .filter((p) => !p.internal)
      .map((p) => `'${p.command}'`)
      .join(', ');
    const why = error ? ` (${(error as NodeJS.ErrnoException).code ?? error.message})` : '';
    this.shutdown(
      new ConnectionClosedError(
        `QEMU closed the connection${midMessage}${why}${what ? ` while ${what} was pending` : ''}: ` +
          'QEMU exited or was killed',
        { cause: error },
      ),
    );
  }

  /** A fatal error: close and fail everything with it. */
  private fail(error: QmpError): void {
    this.shutdown(error);
  }

  private shutdown(error: QmpError | undefined, pendingMessage?: string): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.closeError = error;
    const transport = this.transport;
    if (transport && !this.transportGone) {
      // The socket is destroyed now; its 'close' comes later. close() waits
      // for it (at most a second, should a transport never say).
      this.closedPromise = new Promise((resolve) => {
        const fallback = setTimeout(resolve, 1000);
        fallback.unref();
        transport.onClose = () => {
          clearTimeout(fallback);
          resolve();
        };
      });
      transport.close();
    }
    const pendingError =
      error ?? new ConnectionClosedError(pendingMessage ?? 'the session ended before the reply came');
    for (const p of this.pending.values()) {
      p.cleanup();
      p.reject(pendingError);
    }
    this.pending.clear();
    this.handshake?.reject(pendingError);
    this.emit('close', error);
    if (error) this.emitError(error);
  }
}

/** Convenience: connect, negotiate and return a ready client. */
export function connect(target: string | Address, options?: QmpClientOptions): Promise<QmpClient> {
  return QmpClient.connect(target, options);
}
