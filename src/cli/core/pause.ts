/**
 * The poll loops' sleep (--wait, --jobs): `ms`, or less when the run is
 * interrupted or something wakes it (an event). Whichever ends it, the timer
 * and the abort listener go with it: a loop of thousands of rounds leaves
 * nothing behind on the run's signal.
 */
export interface Pause {
  done: Promise<void>;
  /** Ends the pause now (an event worth a look came). */
  wake(): void;
}

export function pause(ms: number, signal: AbortSignal): Pause {
  let wake = () => {};
  const done = new Promise<void>((resolve) => {
    const end = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', end);
      resolve();
    };
    const timer = setTimeout(end, ms);
    if (signal.aborted) end();
    else signal.addEventListener('abort', end, { once: true });
    wake = end;
  });
  return { done, wake: () => wake() };
}
