/**
 * One error hierarchy for the whole library. Users match on `code`, never on
 * the message text; the message says what happened and, where it can, what to
 * do. The original error (a socket error, a JSON SyntaxError) is kept as
 * `cause`.
 *
 *   QmpError                      base, code: string
 *   ├── UsageError                ERR_USAGE: bad command line / bad key=value
 *   ├── ConnectError              QMP_CONNECT_FAILED: ENOENT, ECONNREFUSED, EACCES, ...
 *   │   ├── MonitorBusyError      QMP_MONITOR_BUSY: EAGAIN, or no greeting in time
 *   │   └── NegotiationError      QMP_NEGOTIATION_FAILED: qmp_capabilities refused
 *   ├── ConnectionClosedError     QMP_CONNECTION_CLOSED: EOF or reset mid-session
 *   ├── ProtocolError             QMP_PROTOCOL_ERROR: the peer broke the protocol
 *   │   ├── MessageTooLargeError  QMP_MESSAGE_TOO_LARGE: the size cap was hit
 *   │   └── NumberRangeError      QMP_PROTOCOL_ERROR: a JSON number no double holds (1e400)
 *   ├── TimeoutError              QMP_TIMEOUT: a command got no reply in time
 *   ├── CommandError              QMP_COMMAND_ERROR: QEMU answered {"error": ...}
 *   │   └── HmpError              QMP_HMP_ERROR: HMP printed an error
 *   ├── StateError                QMP_INVALID_STATE: a call in the wrong session state
 *   ├── EventOverflowError        QMP_EVENT_OVERFLOW: an event stream's buffer was full
 *   └── InterruptedError          ERR_INTERRUPTED: an AbortSignal, Ctrl-C (its name is 'AbortError')
 *
 * A bad option value (a mistake in the calling code, not something QEMU did)
 * is a RangeError or TypeError, as node's own APIs throw, with node's codes:
 *
 *   OptionRangeError (RangeError) ERR_OUT_OF_RANGE: e.g. a timeout of -5 or 0.4 ms
 *   OptionTypeError (TypeError)   ERR_INVALID_ARG_TYPE: e.g. a timeout of '5000'
 */

/** A request as sent (protocol/messages.ts Request; not imported: no import circle). */
export interface SentRequest {
  execute: string;
  arguments?: { [key: string]: unknown };
  id?: unknown;
}

/** An error reply as received (protocol/messages.ts ErrorMessage). */
export interface ErrorReply {
  error: { class: string; desc: string };
  id?: unknown;
}

export type QmpErrorCode =
  | 'ERR_USAGE'
  | 'QMP_CONNECT_FAILED'
  | 'QMP_MONITOR_BUSY'
  | 'QMP_NEGOTIATION_FAILED'
  | 'QMP_CONNECTION_CLOSED'
  | 'QMP_PROTOCOL_ERROR'
  | 'QMP_MESSAGE_TOO_LARGE'
  | 'QMP_TIMEOUT'
  | 'QMP_COMMAND_ERROR'
  | 'QMP_HMP_ERROR'
  | 'QMP_INVALID_STATE'
  | 'QMP_EVENT_OVERFLOW'
  | 'ERR_INTERRUPTED';

/**
 * What a user can change to avoid the error, by the library's own names (the
 * CLI maps them to its flags: library messages name no CLI flag).
 */
export type QmpHint =
  | 'connectTimeoutMs'
  | 'commandTimeoutMs'
  | 'maxMessageBytes'
  | 'waitForSocketMs'
  /** An unknown command: the schema lists what there is. */
  | 'schema'
  /** The peer is a guest agent (qemu-ga): talk to it in agent mode (QmpClientOptions.agent). */
  | 'agent'
  /** An event stream overflowed: read it faster or raise EventStreamOptions.maxBuffered. */
  | 'maxBuffered';

export interface QmpErrorOptions {
  cause?: unknown;
  hint?: QmpHint | undefined;
}

export class QmpError extends Error {
  readonly code: QmpErrorCode;
  readonly hint: QmpHint | undefined;

  constructor(code: QmpErrorCode, message: string, options?: QmpErrorOptions) {
    super(message, options);
    this.code = code;
    this.hint = options?.hint;
    this.name = new.target.name;
  }
}

export class UsageError extends QmpError {
  constructor(message: string, options?: QmpErrorOptions) {
    super('ERR_USAGE', message, options);
  }
}

export class ConnectError extends QmpError {
  /** The system error code (ENOENT, ECONNREFUSED, ...), when there was one. */
  readonly syscallCode: string | undefined;

  constructor(
    message: string,
    options?: QmpErrorOptions & { syscallCode?: string | undefined; code?: QmpErrorCode },
  ) {
    super(options?.code ?? 'QMP_CONNECT_FAILED', message, options);
    this.syscallCode = options?.syscallCode;
  }
}

export class MonitorBusyError extends ConnectError {
  constructor(message: string, options?: QmpErrorOptions & { syscallCode?: string }) {
    super(message, { ...options, code: 'QMP_MONITOR_BUSY' });
  }
}

export class NegotiationError extends ConnectError {
  constructor(message: string, options?: QmpErrorOptions) {
    super(message, { ...options, code: 'QMP_NEGOTIATION_FAILED' });
  }
}

export class ConnectionClosedError extends QmpError {
  constructor(message: string, options?: QmpErrorOptions) {
    super('QMP_CONNECTION_CLOSED', message, options);
  }
}

export class ProtocolError extends QmpError {
  constructor(message: string, options?: QmpErrorOptions & { code?: QmpErrorCode }) {
    super(options?.code ?? 'QMP_PROTOCOL_ERROR', message, options);
  }
}

export class MessageTooLargeError extends ProtocolError {
  readonly limit: number;

  constructor(limit: number) {
    super(
      `message from the server exceeds the size limit of ${limit} bytes`,
      { code: 'QMP_MESSAGE_TOO_LARGE', hint: 'maxMessageBytes' },
    );
    this.limit = limit;
  }
}

/**
 * A JSON number that no double can hold: beyond +-1.8e308 (JSON.parse makes
 * it Infinity, which JSON.stringify writes as null) or so small it would be
 * 0 (1e-400). Thrown by parseJson; the session reports it as the server's
 * protocol violation, the key=value parser as a usage error.
 */
export class NumberRangeError extends ProtocolError {
  /** The number as written. */
  readonly text: string;
  readonly direction: 'overflow' | 'underflow';

  constructor(text: string, direction: 'overflow' | 'underflow') {
    const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
    super(
      direction === 'overflow'
        ? `the number ${shown} is beyond what a double holds (it would become Infinity, which JSON cannot carry)`
        : `the number ${shown} is too small for a double (it would become 0)`,
    );
    this.text = text;
    this.direction = direction;
  }
}

export class TimeoutError extends QmpError {
  constructor(message: string, options?: QmpErrorOptions) {
    super('QMP_TIMEOUT', message, options);
  }
}

/**
 * QEMU answered a command with `{"error": ...}`. Like qemu.qmp's ExecuteError,
 * it keeps what was sent (`request`) and what came back (`reply`), when the
 * error came from the wire (not for a failed job or an HMP error text).
 */
export class CommandError extends QmpError {
  /** QMP error class: GenericError, CommandNotFound, DeviceNotFound, ... */
  readonly errorClass: string;
  readonly desc: string;
  readonly command: string;
  /** The request as sent, with its id. */
  readonly request: SentRequest | undefined;
  /** The server's error reply as received. */
  readonly reply: ErrorReply | undefined;

  constructor(
    command: string,
    errorClass: string,
    desc: string,
    code: QmpErrorCode = 'QMP_COMMAND_ERROR',
    wire?: { request: SentRequest; reply: ErrorReply },
  ) {
    super(code, `${errorClass}: ${desc}`);
    this.command = command;
    this.errorClass = errorClass;
    this.desc = desc;
    this.request = wire?.request;
    this.reply = wire?.reply;
  }
}

/** The name qemu.qmp gives it: an error reply to execute(), with its request and reply. */
export { CommandError as ExecuteError };

export class HmpError extends CommandError {
  constructor(commandLine: string, text: string) {
    super(`human-monitor-command ${commandLine}`, 'HMP', text, 'QMP_HMP_ERROR');
  }
}

export class StateError extends QmpError {
  constructor(message: string) {
    super('QMP_INVALID_STATE', message);
  }
}

/**
 * An event stream (QmpClient.events()) buffered more events than its
 * `maxBuffered` while nobody read them: the stream ends with this error
 * instead of growing without bound or silently dropping events.
 */
export class EventOverflowError extends QmpError {
  readonly limit: number;

  constructor(limit: number) {
    super('QMP_EVENT_OVERFLOW', `more than ${limit} events arrived unread: the event stream stopped`, { hint: 'maxBuffered' });
    this.limit = limit;
  }
}

/**
 * Stopped by an AbortSignal (or Ctrl-C in the CLI). Its `name` is
 * 'AbortError', as for fetch() and node's own APIs, so code that checks
 * `error.name === 'AbortError'` works; `code` stays ERR_INTERRUPTED.
 */
export class InterruptedError extends QmpError {
  constructor(message = 'interrupted', options?: QmpErrorOptions) {
    super('ERR_INTERRUPTED', message, options);
    this.name = 'AbortError';
  }
}

/**
 * An option's value is out of its range (a timeout of -5 ms, 0.4 ms, or past
 * what a timer holds). A RangeError, named so, with node's code
 * ERR_OUT_OF_RANGE; `option` is the option's name (`commandTimeoutMs`).
 */
export class OptionRangeError extends RangeError {
  readonly code = 'ERR_OUT_OF_RANGE';
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.name = 'RangeError';
    this.option = option;
  }
}

/** An option's value is of the wrong type (a timeout of '5000'): a TypeError with node's code ERR_INVALID_ARG_TYPE. */
export class OptionTypeError extends TypeError {
  readonly code = 'ERR_INVALID_ARG_TYPE';
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.name = 'TypeError';
    this.option = option;
  }
}
