/**
 * The one output sink. Data on stdout, everything else on stderr; a closed
 * stdout (`qmpsh ... | head -1`) ends output quietly instead of failing, and
 * through `closed` the run (main.ts, core/interrupt.ts): every mode stops.
 *
 * A reader that leaves is noticed even with nothing to write
 * (output/reader-watch.ts), so a quiet --events frees its monitor.
 *
 * Every string that leaves through here is made inert (output/inert.ts): C0
 * controls but newline and tab, DEL, C1 and bidi controls are shown as
 * visible escapes, whoever wrote them (QEMU, a guest, a hostile peer). Our
 * own colours (SGR) pass where the stream has colour on; text that is peer
 * text as a whole (HMP output, error descriptions) passes no escape at all.
 * No other file under src/cli/ writes to process.stdout or process.stderr
 * (test/cli/structure.test.ts checks it).
 */
import { paintsFor, type ColorSettings } from './color.js';
import type { Paint } from './format.js';
import { inert, inertKeepingSgr } from './inert.js';
import { watchStdoutReader } from './reader-watch.js';

export interface Io {
  /** A line of our formatting (JSON, tables, coloured text) on stdout. */
  out(line: string): void;
  /** Peer text as it is (HMP output): no colour of ours, nothing live. */
  outText(text: string): void;
  /** Text of ours, exactly (completion scripts). */
  outRaw(text: string): void;
  /** A line of ours on stderr. */
  err(line: string): void;
  /** `qmpsh: warning: MESSAGE`. */
  warn(message: string): void;
  /** `qmpsh: MESSAGE` (an error). */
  error(message: string): void;
  /**
   * Our own terminal control sequences (redrawing a table in place) on
   * stdout, only when it is a terminal. The one way to write one.
   */
  control(sequence: string): void;
  /**
   * `text` through the pager `command` (output/pager.ts), made inert as out()
   * (ours: our colours kept) or outText() (peer text) would. False when the
   * pager could not run: nothing was shown.
   */
  page(text: string, kind: 'ours' | 'peer', command: string): Promise<boolean>;
  /** Resolves when what was written to stdout so far is handed to the system. */
  flush(): Promise<void>;
  /**
   * flush(), then a tick: a write that failed (ENOSPC on a file or device)
   * says so a tick later, and writeFailure is known after this.
   */
  settle(): Promise<void>;
  /**
   * Aborted when stdout's reader went away (EPIPE, `qmpsh ... | head -1`):
   * output ends quietly, and main ends the run.
   */
  readonly closed: AbortSignal;
  /** Why stdout cannot be written, when it is not its reader leaving (ENOSPC, EIO). */
  readonly writeFailure: string | undefined;
  /**
   * Backpressure: `pause` is called when stdout or stderr holds more than
   * its buffer because the reader is slower than what comes in, `resume` when
   * both drained. Sessions stop reading their socket meanwhile, so memory
   * stays bounded and nothing is dropped. Returns the function that stops
   * watching.
   */
  watchBackpressure(pause: () => void, resume: () => void): () => void;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly outPaint: Paint;
  readonly errPaint: Paint;
  /** The stream, for node:readline and the spinner, which write on their own. */
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export async function processIo(settings: ColorSettings): Promise<Io> {
  const stdout = process.stdout;
  const stderr = process.stderr;
  const closing = new AbortController();
  let corked = false;
  const uncork = () => {
    corked = false;
    stdout.uncork();
  };
  let failure: string | undefined;
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    // EPIPE: the reader left (quietly, exit 0). Anything else (ENOSPC on
    // `>/dev/full` or a full disk, EIO): output cannot go on either, but
    // that is an error to tell (main.ts, exit 74), not a bug of ours.
    if (err.code !== 'EPIPE') failure ??= `cannot write to standard output: ${err.code ?? ''} (${err.message.replace(/^[A-Z]+: /, '').replace(/, write$/, '')})`;
    closing.abort();
  });
  // stderr gone (EPIPE, ENOSPC: `2>/dev/full`, a reader that left): nothing
  // left to tell anyone there. It is not a slow reader: backpressure lets it
  // go (else every session would wait for a 'drain' that never comes, and a
  // -v run ended in a false 'cannot connect'), and what would go there is
  // dropped; stdout and the run go on.
  let errGone = false;
  stderr.on('error', () => {
    errGone = true;
    full.delete(stderr);
    checkFlow();
  });

  const watchers = new Set<{ pause: () => void; resume: () => void }>();
  let blocked = false;
  // The streams whose write() returned false, until their 'drain'. Node's
  // writableNeedDrain says the same, but Bun's process.stdout and stderr (the
  // single-file build) keep it false and tell only through write() and 'drain'.
  const full = new Set<NodeJS.WriteStream>();
  const checkFlow = () => {
    const now = !closing.signal.aborted && [...full].some((s) => !s.destroyed);
    if (now === blocked) return;
    blocked = now;
    for (const w of [...watchers]) (blocked ? w.pause : w.resume)();
  };
  const wrote = (s: NodeJS.WriteStream, ok: boolean) => {
    if (ok) return;
    full.add(s);
    if (!blocked) checkFlow();
  };
  for (const s of [stdout, stderr]) {
    s.on('drain', () => {
      full.delete(s);
      checkFlow();
    });
  }
  closing.signal.addEventListener('abort', checkFlow, { once: true });
  // A reader that left a pipe we have nothing to write to yet (a quiet VM
  // under --events): noticed by looking, not only at the next write.
  const unwatch = watchStdoutReader(() => closing.abort());
  closing.signal.addEventListener('abort', unwatch, { once: true });
  const toErr = (text: string) => {
    if (!errGone) wrote(stderr, stderr.write(text));
  };

  const paints = await paintsFor(process, settings);
  const outSafe = paints.out.level > 0 ? inertKeepingSgr : inert;
  const errSafe = paints.err.level > 0 ? inertKeepingSgr : inert;
  const write = (text: string) => {
    if (closing.signal.aborted || text === '') return;
    // Lines written in one tick go out in one write (a batch prints thousands).
    if (!corked) {
      corked = true;
      stdout.cork();
      process.nextTick(uncork);
    }
    wrote(stdout, stdout.write(text));
  };
  const errPaint = paints.err;
  const flush = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (corked) uncork();
      if (closing.signal.aborted || !full.has(stdout)) resolve();
      else {
        // A reader that goes away instead of reading: resolve as well.
        const done = () => {
          stdout.off('drain', done);
          closing.signal.removeEventListener('abort', done);
          resolve();
        };
        stdout.on('drain', done);
        closing.signal.addEventListener('abort', done, { once: true });
      }
    });
  return {
    out: (line) => write(`${outSafe(line)}\n`),
    outText: (text) => write(inert(text)),
    outRaw: (text) => write(text),
    err: (line) => toErr(`${errSafe(line)}\n`),
    warn: (message) => toErr(`${errPaint.yellow('qmpsh: warning:')} ${inert(message)}\n`),
    error: (message) => toErr(`${errPaint.red('qmpsh:')} ${inert(message)}\n`),
    page: async (text, kind, command) => {
      const { runPager } = await import('./pager.js');
      const safe = kind === 'ours' ? `${outSafe(text)}\n` : inert(text);
      return runPager(command, safe);
    },
    control: (sequence) => {
      if (stdout.isTTY) write(sequence);
    },
    flush,
    settle: async () => {
      await flush();
      await new Promise((resolve) => setImmediate(resolve));
    },
    closed: closing.signal,
    get writeFailure() {
      return failure;
    },
    watchBackpressure(pause, resume) {
      const watcher = { pause, resume };
      watchers.add(watcher);
      if (blocked) pause();
      return () => void watchers.delete(watcher);
    },
    get stdoutIsTTY() {
      return Boolean(stdout.isTTY);
    },
    get stderrIsTTY() {
      return Boolean(stderr.isTTY);
    },
    outPaint: paints.out,
    errPaint,
    stdout,
    stderr,
  };
}
