/**
 * The CLI entry: the command line becomes one Invocation (options/), the
 * Invocation runs (modes/), and one catch prints `qmpsh: message` and sets the
 * exit code. Never process.exit(): stdout may still be flushing.
 */
import { QmpError } from '../errors.js';
import { EXIT, exitCodeFor } from './core/exit-codes.js';
import { messageWithHint } from './core/hints.js';
import { endRun, runEnd, runSignal } from './core/interrupt.js';
import type { Runtime } from './core/session.js';
import type { Invocation, Mode } from './options/decide.js';
import { parseCommandLine } from './options/parse.js';
import { processIo, type Io } from './output/io.js';

declare const QMPSH_VERSION: string | undefined;
export const VERSION = typeof QMPSH_VERSION === 'string' ? QMPSH_VERSION : '0.0.0-dev';

/** The shell completion scripts' hook (not a user option): candidates on stdout, never an error. */
export const COMPLETE_HOOK = '--_complete';

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const debug = argv.includes('--debug');
  const io = await processIo({ color: !argv.includes('--no-color'), env: process.env });
  // Nothing escapes as a page of minified source: a bug is one line, exit 70.
  const escaped = (err: unknown) => {
    process.exitCode = 70;
    io.error(describe(err));
    if (debug) io.err(stackOf(err));
  };
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  if (argv[2] === COMPLETE_HOOK) {
    const { completeLine } = await import('./completion/complete.js');
    const words = await completeLine(argv[3] ?? '').catch(() => []);
    if (words.length) io.outRaw(`${words.join('\n')}\n`);
    return;
  }
  try {
    const invocation = await parseCommandLine(argv, VERSION, {
      env: process.env,
      stdinIsTTY: Boolean(process.stdin.isTTY),
      print: (text) => io.outRaw(text),
    });
    if (!('kind' in invocation)) {
      process.exitCode = invocation.exitCode;
      return;
    }
    process.exitCode = 0;
    await run(invocation, io);
  } catch (err) {
    // A closed stdout ends the run on purpose: what unwinding threw says nothing new.
    if (runEnd()?.kind !== 'stdout-closed') {
      process.exitCode = exitCodeFor(err);
      io.error(describe(err));
      if (debug) io.err(stackOf(err));
    }
  } finally {
    // The last output's fate (--help's too) decides the exit code as well.
    await io.settle();
    // A run ended early exits as such, whatever the mode made of it (core/interrupt.ts).
    const end = runEnd();
    const failure = end?.kind === 'signal' ? undefined : io.writeFailure;
    if (failure) io.error(failure);
    if (end) process.exitCode = end.kind === 'signal' ? end.code : 0;
    if (failure) process.exitCode = EXIT.OUTPUT_FAILED;
  }
}

async function run(invocation: Invocation, io: Io): Promise<void> {
  if (invocation.kind === 'completion') {
    const { completionScript } = await import('./completion/scripts.js');
    io.outRaw(completionScript(invocation.shell));
    return;
  }
  const { common } = invocation;
  // --log is opened once, before anything connects: a bad path sends nothing.
  const log = common.log === undefined ? undefined : (await import('./core/wire-log.js')).openWireLog(common.log);
  const signal = runSignal();
  // The reader of stdout went away: every mode stops, quietly, as on Ctrl-C.
  const stdoutClosed = () => endRun({ kind: 'stdout-closed' });
  if (io.closed.aborted) stdoutClosed();
  else io.closed.addEventListener('abort', stdoutClosed, { once: true });
  const rt: Runtime = { io, common, log, signal };
  try {
    if (invocation.kind === 'ps') return await (await import('./modes/ps.js')).runPs(invocation.ps, rt);
    const { mode, targets } = invocation;
    switch (targets.kind) {
      case 'launch': {
        const { runLaunch } = await import('./modes/launch.js');
        return await runLaunch(targets, rt, (socket, launched) => runOn(mode, launched, socket));
      }
      case 'listen':
        return await runOn(mode, rt, `listen:${targets.path}`);
      case 'given':
        if (targets.fanOut) {
          const { runFanOut } = await import('./modes/fanout.js');
          return await runFanOut(mode, targets.words, targets.parallel, rt);
        }
        return await runOnNamed(mode, rt, targets.words[0] as string);
    }
  } finally {
    log?.close();
  }
}

/** One target; `@NAME` (or ssh://host/@NAME) is first looked up among the host's QEMUs (qmpsh ps). */
async function runOnNamed(mode: Mode, rt: Runtime, target: string): Promise<void> {
  // The common case loads nothing more.
  if (!target.startsWith('@') && !target.includes('/@')) return runOn(mode, rt, target);
  const { isNameTarget, listings, resolveName } = await import('./core/names.js');
  if (!isNameTarget(target)) return runOn(mode, rt, target);
  const names = listings(rt.common.connectTimeoutMs, rt.signal);
  try {
    return await runOn(mode, rt, await resolveName(target, names), target);
  } finally {
    names.release();
  }
}

/** One target: the mode's own runner. */
async function runOn(mode: Mode, rt: Runtime, target: string, shown?: string): Promise<void> {
  switch (mode.kind) {
    case 'oneshot':
      return (await import('./modes/oneshot.js')).runOneShot(mode, rt, target);
    case 'batch':
      return (await import('./modes/batch.js')).runBatch(mode, rt, target);
    case 'repl':
      return (await import('./repl/index.js')).runRepl(mode, rt, target, VERSION, shown);
    case 'events':
      return (await import('./modes/events.js')).runEventStream(mode, rt, target);
    case 'wait-event':
      return (await import('./modes/events.js')).runWaitEvent(mode, rt, target);
    case 'wait':
      return (await import('./modes/wait.js')).runWait(mode, rt, target);
    case 'jobs':
      return (await import('./modes/jobs.js')).runJobsView(mode, rt, [{ target, address: target }]);
    case 'describe':
      return (await import('./modes/describe.js')).runDescribe(mode, rt, target);
  }
}

function describe(err: unknown): string {
  if (err instanceof QmpError) return messageWithHint(err);
  const message = err instanceof Error ? err.message : String(err);
  return `internal error: ${message} (run with --debug for details, and please report it)`;
}

function stackOf(err: unknown): string {
  const lines: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    lines.push(depth === 0 ? '' : 'caused by:');
    lines.push(current instanceof Error ? (current.stack ?? String(current)) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n').trimStart();
}
