/** The VM's run state shown in the REPL's prompt, kept current from events. */
import type { EventMessage } from '../../protocol/messages.js';

const STATE_BY_EVENT: Readonly<Record<string, string>> = {
  STOP: 'paused',
  RESUME: 'running',
  SHUTDOWN: 'shutdown',
  SUSPEND: 'suspended',
  WAKEUP: 'running',
  GUEST_PANICKED: 'guest-panicked',
};

/** The state after `event`, or undefined when the event does not change it. */
export function runStateAfter(event: EventMessage): string | undefined {
  const name = event.event;
  // Own members only: an event named "toString" or "__proto__" changes nothing.
  return typeof name === 'string' && Object.hasOwn(STATE_BY_EVENT, name) ? STATE_BY_EVENT[name] : undefined;
}
