/**
 * How a run ends early, in one place: the only file under src/cli that
 * installs signal handlers (test/cli/structure.test.ts checks it).
 *
 * SIGINT, SIGTERM and SIGHUP, and a reader that went away from stdout
 * (`qmpsh ... | head -1`), abort one signal, the run's: every session,
 * wait, poll and fan-out target listens to it and unwinds as on Ctrl-C,
 * closing its sessions; what was started outside this process (QEMU under
 * --launch, an ssh master, a --listen socket) is stopped or removed on the
 * way out, and the terminal is given back as it was. The exit code is 128+N
 * for a signal (130, 143, 129) and 0 for a closed stdout (main.ts).
 *
 * What must not be left behind also registers a cleanup here (onCleanup): a
 * synchronous function run when the process has to go at once (a second
 * signal, or the run still not ended FORCE_AFTER_MS after the first) and at
 * exit, in case a path forgot it. Whoever releases the thing normally
 * unregisters it.
 */
import { setMaxListeners } from 'node:events';

export type RunEnd =
  | { kind: 'signal'; signal: EndingSignal; code: number }
  /**
   * stdout's reader went away (EPIPE): nothing more to say to anyone. Or
   * stdout cannot be written (ENOSPC, EIO): every mode stops the same way,
   * and main says why (Io.writeFailure), exit 74 (EX_IOERR).
   */
  | { kind: 'stdout-closed' };

/** The signals that end qmpsh, and their numbers (signal(7)): exit 128+N. */
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
export type EndingSignal = keyof typeof SIGNALS;

/** A run that does not unwind this long after a signal (a peer that stopped answering) is ended at once. */
const FORCE_AFTER_MS = 10_000;

let controller: AbortController | undefined;
let ending: RunEnd | undefined;
const cleanups = new Set<() => void>();

/**
 * The run's signal, aborted (with the RunEnd as its reason) on SIGINT,
 * SIGTERM, SIGHUP or endRun(). The first call installs the handlers.
 */
export function runSignal(): AbortSignal {
  if (!controller) {
    const c = new AbortController();
    controller = c;
    // Every target's connect and command of a fan-out listen at once.
    setMaxListeners(0, c.signal);
    for (const name of Object.keys(SIGNALS) as EndingSignal[]) process.on(name, () => onSignal(name));
    process.on('exit', () => {
      runCleanups();
      if (ending?.kind === 'signal') process.exitCode = ending.code;
    });
  }
  return controller.signal;
}

/** Ends the run early (stdout closed). The first end decides the exit code, but a signal beats a closed stdout. */
export function endRun(end: RunEnd): void {
  if (ending && !(ending.kind === 'stdout-closed' && end.kind === 'signal')) return;
  ending = end;
  if (!controller?.signal.aborted) controller?.abort(end);
}

/** How the run was ended early, if it was. */
export function runEnd(): RunEnd | undefined {
  return ending;
}

/**
 * Registers a synchronous cleanup (kill a child, remove a directory or a
 * socket file, give the terminal back) for when the process must go at once.
 * Returns the function that unregisters it.
 */
export function onCleanup(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}

/**
 * While a pager runs in the foreground, Ctrl-C is the pager's (less stops a
 * search with it): SIGINT, which the terminal sends to qmpsh too, ends
 * nothing until the returned function is called. SIGTERM and SIGHUP still do.
 */
let interruptHolds = 0;
export function holdInterrupts(): () => void {
  interruptHolds++;
  let released = false;
  return () => {
    if (!released) interruptHolds--;
    released = true;
  };
}

function onSignal(name: EndingSignal): void {
  if (name === 'SIGINT' && interruptHolds > 0) return;
  const code = 128 + SIGNALS[name];
  if (ending?.kind === 'signal') {
    // A second signal: the user (or the system) will not wait.
    force(ending.code);
    return;
  }
  endRun({ kind: 'signal', signal: name, code });
  // Unref'd: a run that unwound exits at once, without waiting for it.
  setTimeout(() => force(code), FORCE_AFTER_MS).unref();
}

/**
 * The one process.exit() in the CLI, on purpose: a second signal, or a run
 * still alive FORCE_AFTER_MS after the first, means nobody waits for output
 * any more; what qmpsh started is cleaned up synchronously first.
 */
function force(code: number): never {
  runCleanups();
  process.exit(code);
}

function runCleanups(): void {
  const all = [...cleanups];
  cleanups.clear();
  for (const cleanup of all) {
    try {
      cleanup();
    } catch {
      // the next one still runs
    }
  }
}
