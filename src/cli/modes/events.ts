/** --events (stream) and --wait-event (wait for one, optionally after a command). */
import { InterruptedError, TimeoutError } from '../errors.js';
import { eventFilter, parseMatch, waitForEvent } from '../events.js';
import type { EventMessage } from '../protocol/messages.js';
import { compactJson } from './format.js';
import type { Io } from './io.js';
import { runAction, type Action } from './oneshot.js';
import type { CliOptions } from './program.js';
import { cliSession } from './session.js';

/** Streams matching events as NDJSON until Ctrl-C, --count or an explicit --timeout. */
export async function runEventStream(options: CliOptions, io: Io): Promise<void> {
  const accept = eventFilter({ names: options.eventNames, matches: options.matches.map(parseMatch) });
  // The stream itself is the output: --json adds nothing, events never go to stderr.
  const session = cliSession({ ...options, json: false }, io, { events: 'none' });
  const { client } = session;
  let seen = 0;
  let settle: (error?: Error) => void = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  ended.catch(() => {});
  // Subscribed before negotiating: events in the same read as the
  // qmp_capabilities reply are dispatched at once, before open() resolves.
  client.on('event', (event: EventMessage) => {
    if (!accept(event)) return;
    io.out(compactJson(event));
    seen++;
    if (options.count !== undefined && seen >= options.count) settle();
  });
  client.on('close', (error) => settle(error));
  session.signal.addEventListener('abort', () => settle(new InterruptedError('interrupted')), { once: true });
  try {
    await session.open();
    const deadline =
      options.timeoutGiven && options.timeoutMs > 0
        ? setTimeout(() => {
            if (options.count === undefined) settle();
            else settle(new TimeoutError(`${seen} of ${options.count} events arrived within ${options.timeoutMs / 1000}s`));
          }, options.timeoutMs)
        : undefined;
    try {
      await ended;
    } finally {
      if (deadline) clearTimeout(deadline);
    }
  } finally {
    session.close();
  }
}

/** Subscribes, then runs the action (if any), then waits: an event before the reply counts. */
export async function runWaitEvent(options: CliOptions, action: Action | undefined, io: Io): Promise<void> {
  const filter = { names: options.waitEvent, matches: options.matches.map(parseMatch) };
  const session = cliSession(options, io);
  try {
    // Subscribed before negotiating, so nothing that comes with the reply is missed.
    const waiter = waitForEvent(session.client, filter, {
      timeoutMs: options.timeoutMs,
      signal: session.signal,
    });
    await session.open();
    if (action) {
      try {
        await runAction(session, action);
      } catch (err) {
        waiter.cancel();
        throw err;
      }
    }
    const event = await waiter.promise;
    if (!options.json) io.out(compactJson(event));
  } finally {
    session.close();
  }
}
