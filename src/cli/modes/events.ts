/**
 * --events (stream) and --wait-event (wait for one, optionally after a
 * command). Each has a per-target core that fan-out runs on every target,
 * with each line tagged by its target.
 */
import { InterruptedError, TimeoutError } from '../../errors.js';
import { eventFilter, waitForEvent } from '../../events.js';
import type { EventMessage } from '../../protocol/messages.js';
import { send } from '../core/gate.js';
import type { Action } from '../core/action.js';
import { openSession, withSession, tagPrefix, type CliSession, type Runtime } from '../core/session.js';
import type { Mode } from '../options/decide.js';
import { compactJson, eventLine } from '../output/format.js';
import { formatValue } from '../output/value.js';

type Events = Extract<Mode, { kind: 'events' }>;
type WaitEvent = Extract<Mode, { kind: 'wait-event' }>;

export async function runEventStream(mode: Events, rt: Runtime, target: string): Promise<void> {
  await streamEvents(mode, rt, target, (event) => rt.io.out(compactJson(event)));
}

/**
 * Streams one target's matching events to `emit` until Ctrl-C, --count or an
 * explicit --timeout. The stream itself is the output: events never go to stderr.
 */
export async function streamEvents(
  mode: Events,
  rt: Runtime,
  target: string,
  emit: (event: EventMessage) => void,
  tag?: string,
): Promise<number> {
  const { common } = rt;
  const accept = eventFilter(mode.filter);
  const session = openSession(rt, target, { events: 'none', tag });
  const { client } = session;
  let seen = 0;
  let settle: (error?: Error) => void = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  ended.catch(() => {});
  // Subscribed before negotiating: events in the same read as the
  // qmp_capabilities reply are dispatched at once, before open() resolves.
  // After SHUTDOWN (a guest's own poweroff, or quit), QEMU closing the
  // connection is the normal end of the stream, not a lost connection.
  let shutdown = false;
  client.on('event', (event: EventMessage) => {
    if (event.event === 'SHUTDOWN') shutdown = true;
    if (!accept(event) || (mode.count !== undefined && seen >= mode.count)) return;
    emit(event);
    seen++;
    if (mode.count !== undefined && seen >= mode.count) settle();
  });
  client.on('close', (error) => settle(shutdown ? undefined : error));
  const onAbort = () => settle(new InterruptedError('interrupted'));
  if (session.signal.aborted) onAbort();
  else session.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await session.open();
    const deadline =
      common.timeoutGiven && common.timeoutMs > 0
        ? setTimeout(() => {
            if (mode.count === undefined) settle();
            else settle(new TimeoutError(`${seen} of ${mode.count} events arrived within ${common.timeoutMs / 1000}s`));
          }, common.timeoutMs)
        : undefined;
    try {
      await ended;
    } finally {
      if (deadline) clearTimeout(deadline);
    }
    return seen;
  } finally {
    session.signal.removeEventListener('abort', onAbort);
    session.close();
  }
}

export async function runWaitEvent(mode: WaitEvent, rt: Runtime, target: string): Promise<void> {
  const event = await waitEventOn(mode, rt, target);
  if (!mode.format.json) rt.io.out(formatValue(event as never, { pretty: mode.format.pretty ?? false }, rt.io));
}

/** Subscribes, then sends the action (if any), then waits: an event before the reply counts. */
export async function waitEventOn(
  mode: WaitEvent,
  rt: Runtime,
  target: string,
  tag?: string,
  json?: (value: unknown) => void,
  /** Fan-out: fills in the target's placeholders once the session is open. */
  prepare: (session: CliSession, action: Action) => Promise<Action> = async (_, action) => action,
): Promise<EventMessage> {
  const { io } = rt;
  const sink = json ?? (mode.format.json ? (value: unknown) => io.out(compactJson(value)) : undefined);
  // The matched event is the output: only the others are shown on stderr.
  const matches = eventFilter(mode.filter);
  return withSession(rt, target, { tag, json: sink, events: 'none' }, async (session) => {
    if (!sink && !rt.common.quiet) {
      const prefix = tagPrefix(tag);
      session.client.on('event', (e: EventMessage) => {
        if (!matches(e)) io.err(`${prefix}${eventLine(e, io.errPaint)}`);
      });
    }
    // Subscribed before negotiating, so nothing that comes with the reply is missed.
    const waiter = waitForEvent(session.client, mode.filter, {
      timeoutMs: rt.common.timeoutMs,
      signal: session.signal,
    });
    await session.open();
    if (mode.action) {
      try {
        await send(session, await prepare(session, mode.action));
      } catch (err) {
        waiter.cancel();
        throw err;
      }
    }
    return waiter.promise;
  });
}
