/** The options, events and states of a QmpClient (session.ts). */
import type { QmpError } from './errors.js';
import type { JsonValue } from './protocol/json.js';
import type { EventMessage } from './protocol/messages.js';

export type SessionState = 'connecting' | 'greeting' | 'negotiating' | 'ready' | 'closed';

export interface QmpClientOptions {
  /** Connect + greeting + negotiation, in ms (default 5000; 0 or Infinity = no limit; at most 2^31-1: timeouts.ts). */
  connectTimeoutMs?: number;
  /** Default limit for each command's reply, in ms (default 60000; 0 or Infinity = no limit; at most 2^31-1). */
  commandTimeoutMs?: number;
  /** Largest message accepted from the server, in bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /**
   * Before connecting, wait up to this many ms for a socket that does not
   * exist yet or refuses connections (a QEMU that is starting). Default 0;
   * Infinity waits without end.
   */
  waitForSocketMs?: number;
  /**
   * Capabilities to enable if the greeting offers them (qmp-spec
   * "Capabilities Negotiation"). `oob` makes QEMU read and parse requests in
   * its monitor thread while the main thread runs them (at most 8 queued),
   * which lets pipelined commands reach QEMU's own throughput; every request
   * here carries an id, as OOB requires.
   */
  capabilities?: string[];
  /**
   * A guest agent (qemu-ga) socket: no greeting, no negotiation; after a
   * timeout the next command is preceded by guest-sync-delimited, which puts
   * the channel back in step.
   */
  agent?: boolean;
  /** Aborts connecting. */
  signal?: AbortSignal;
  /**
   * A listener (on()) threw: `name` is the event it was called for and
   * `payload` what it was given. The session goes on either way. Without
   * this, the error is thrown again on the next tick (an uncaught exception
   * unless the program handles those).
   */
  onListenerError?: (error: unknown, name: keyof ClientEvents, payload: unknown) => void;
  /**
   * Told of what connecting makes outside this process (a listening socket
   * file, an ssh master and its directory): a synchronous function that
   * removes it, for a process that must exit at once (e.g. on a second
   * signal). Returns the function called when it is gone anyway. The session
   * removes them itself when it closes.
   */
  registerCleanup?: (cleanup: () => void) => () => void;
}

export interface ExecuteOptions {
  /** Overrides the client's commandTimeoutMs for this command (0 or Infinity = no limit; at most 2^31-1). */
  timeoutMs?: number;
  /** Stops waiting for the reply (the command may still run in QEMU). */
  signal?: AbortSignal;
  /**
   * The command ends the session (quit): EOF before the reply is success. Set
   * automatically for `quit`.
   */
  expectsClose?: boolean;
  /** Made by the tool for itself (e.g. fetching the schema): flagged on the wire. */
  internal?: boolean;
}

/** Every message on the wire, for --verbose and --json. */
export interface WireMessage {
  direction: 'in' | 'out';
  text: string;
  value: JsonValue;
  /** A request qmpsh made for itself (ExecuteOptions.internal), or its reply. */
  internal?: boolean;
}

export interface ClientEvents {
  event: (event: EventMessage) => void;
  wire: (message: WireMessage) => void;
  /** Something odd that is not fatal: an id-less error, a reply nobody waits for. */
  warning: (message: string) => void;
  /** The session ended; `error` unless it ended as expected (close(), quit). */
  close: (error?: QmpError) => void;
  /**
   * The session ended with an error (the same error as `close` gets). Emitted
   * only when someone listens, so that node's `events.on(client, 'event')`
   * ends with it; without a listener nothing is thrown.
   */
  error: (error: QmpError) => void;
}

