/**
 * Event filters and waiters. A waiter subscribes when it is created, so code
 * that creates it before sending a command cannot miss an event that arrives
 * before the command's reply (qmp-spec: events may come at any time).
 */
import {
  ConnectionClosedError,
  InterruptedError,
  TimeoutError,
  UsageError,
  type QmpError,
} from './errors.js';
import { globToRegExp as globPattern } from './glob.js';
import { stringifyJson, type JsonValue } from './protocol/json.js';
import type { EventMessage } from './protocol/messages.js';
import { parseValue } from './shell/parse.js';
import { timeLimitMs } from './timeouts.js';

/** What a waiter or a stream needs from a session: its events and its end (QmpClient is one). */
export interface EventSource {
  on(name: 'event', listener: (event: EventMessage) => void): unknown;
  on(name: 'close', listener: (error?: QmpError) => void): unknown;
  off(name: 'event', listener: (event: EventMessage) => void): unknown;
  off(name: 'close', listener: (error?: QmpError) => void): unknown;
  readonly state: string;
}

export interface EventMatch {
  path: string[];
  value: JsonValue;
}

export interface EventFilter {
  /** Names or globs (`BLOCK_JOB_*`, `?`), case-insensitive; empty = every event. */
  names: string[];
  /** All must hold: the value at each dotted path equals the given JSON value. */
  matches?: EventMatch[];
  /** And this predicate holds (library users; the CLI's filters are `matches`). */
  predicate?: (event: EventMessage) => boolean;
}

/** An event-name glob (`BLOCK_JOB_*`, `[!B]*`): bash pattern rules (src/glob.ts), case-insensitive. */
export function globToRegExp(glob: string): RegExp {
  return globPattern(glob, { ignoreCase: true });
}

/** `data.reason=host-qmp-quit` -> { path: ['data', 'reason'], value: 'host-qmp-quit' } */
export function parseMatch(text: string): EventMatch {
  const eq = text.indexOf('=');
  const path = eq > 0 ? text.slice(0, eq).split('.') : [];
  if (eq <= 0 || path.some((p) => p === '')) {
    throw new UsageError(`a match is PATH=VALUE with a dotted path, e.g. data.reason=host-qmp-quit; not '${text}'`);
  }
  return { path, value: parseValue(text.slice(0, eq), text.slice(eq + 1)) };
}

export function eventFilter(filter: EventFilter): (event: EventMessage) => boolean {
  const names = filter.names.map(globToRegExp);
  const matches = filter.matches ?? [];
  const predicate = filter.predicate;
  return (event) =>
    (names.length === 0 || names.some((re) => re.test(event.event))) &&
    matches.every((m) => sameValue(valueAt(event, m.path), m.value)) &&
    (predicate === undefined || predicate(event));
}

function valueAt(root: unknown, path: string[]): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function sameValue(actual: unknown, expected: JsonValue): boolean {
  if (actual === undefined) return false;
  if (stringifyJson(actual) === stringifyJson(expected)) return true;
  // `data.offset=5` also matches the string "5", and a string pattern matches a number's digits.
  return typeof actual !== 'object' && typeof expected !== 'object' && String(actual) === String(expected);
}

export interface EventWaiter {
  promise: Promise<EventMessage>;
  cancel(): void;
}

/**
 * Resolves with the first event that passes the filter. Rejects with
 * TimeoutError after `timeoutMs` (0 or Infinity = never; checked as
 * timeouts.ts says), InterruptedError on `signal`,
 * or the session's error when it closes first.
 */
export function waitForEvent(
  client: EventSource,
  filter: EventFilter,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): EventWaiter {
  const accept = eventFilter(filter);
  let cancel = () => {};
  let timeoutMs: number;
  try {
    timeoutMs = timeLimitMs('timeoutMs', options.timeoutMs);
  } catch (err) {
    return { promise: Promise.reject(err), cancel };
  }
  const promise = new Promise<EventMessage>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const what = describeFilter(filter);
    const done = () => {
      if (timer) clearTimeout(timer);
      client.off('event', onEvent);
      client.off('close', onClose);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onEvent = (event: EventMessage) => {
      let accepted: boolean;
      try {
        accepted = accept(event);
      } catch (err) {
        done();
        reject(err);
        return;
      }
      if (!accepted) return;
      done();
      resolve(event);
    };
    const onClose = (error?: QmpError) => {
      done();
      reject(error ?? new ConnectionClosedError(`the connection ended before ${what} arrived`));
    };
    const onAbort = () => {
      done();
      reject(new InterruptedError(`stopped waiting for ${what}`, { cause: options.signal?.reason }));
    };
    cancel = () => {
      done();
      reject(new InterruptedError(`stopped waiting for ${what}`));
    };
    if (timeoutMs) {
      timer = setTimeout(() => {
        done();
        reject(new TimeoutError(`${what} did not arrive within ${timeoutMs / 1000}s`));
      }, timeoutMs);
    }
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    if (client.state === 'closed') {
      reject(new ConnectionClosedError(`the session is closed: ${what} cannot arrive`));
      return;
    }
    client.on('event', onEvent);
    client.on('close', onClose);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {}); // the caller may attach its handler later
  return { promise, cancel: () => cancel() };
}

export function describeFilter(filter: EventFilter): string {
  const names = filter.names.length ? filter.names.join(' or ') : 'an event';
  const matches = (filter.matches ?? []).map((m) => `${m.path.join('.')}=${stringifyJson(m.value)}`);
  return `event ${names}${matches.length ? ` with ${matches.join(', ')}` : ''}`;
}
