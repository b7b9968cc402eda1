/**
 * One interrupt for the whole run: Ctrl-C aborts this signal, and every
 * session, wait and fan-out target listens to it. Made once (main), so no
 * mode installs a SIGINT handler of its own.
 */
import { setMaxListeners } from 'node:events';

let controller: AbortController | undefined;

export function interruptSignal(): AbortSignal {
  if (!controller) {
    const c = new AbortController();
    controller = c;
    // Every target's connect and command of a fan-out listen at once.
    setMaxListeners(0, c.signal);
    process.on('SIGINT', () => c.abort());
  }
  return controller.signal;
}
