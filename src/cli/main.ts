/**
 * The CLI entry: parse, run, and one catch that prints `qmpsh: message` and
 * sets the exit code. Never process.exit(): stdout may still be flushing.
 */
import { parseAddress } from '../address.js';
import { QmpError, UsageError } from '../errors.js';
import { exitCodeFor } from './exit-codes.js';
import { processIo, type Io } from './io.js';
import { actionOf, runOneShot } from './oneshot.js';
import { HelpShown, isFanOut, parseCommandLine, type CliOptions } from './program.js';

declare const QMPSH_VERSION: string | undefined;
const VERSION = typeof QMPSH_VERSION === 'string' ? QMPSH_VERSION : '0.0.0-dev';

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const debug = argv.includes('--debug');
  // The shell completion scripts' call: candidates on stdout, never an error.
  if (argv[2] === '--complete') {
    const { completeLine } = await import('./completion.js');
    const words = await completeLine(argv[3] ?? '').catch(() => []);
    if (words.length) process.stdout.write(`${words.join('\n')}\n`);
    return;
  }
  const io = await processIo({ color: !argv.includes('--no-color'), env: process.env });
  try {
    const options = await parseCommandLine(argv, VERSION);
    if (options instanceof HelpShown) {
      process.exitCode = options.exitCode;
      return;
    }
    process.exitCode = 0;
    await run(options, io);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
    io.err(`${io.errPaint.red('qmpsh:')} ${describe(err)}`);
    if (debug) io.err(stackOf(err));
  }
}

async function run(options: CliOptions, io: Io): Promise<void> {
  if (options.launch) {
    const { runLaunch } = await import('./launch.js');
    return runLaunch(options, io, (launched) => run(launched, io));
  }
  // Everything the user typed is checked before connecting: bad input sends nothing.
  if (options.completion === undefined) for (const t of options.targets) parseAddress(t.replace(/[*?[]/g, 'x'));
  const action = actionOf(options);
  if (isFanOut(options)) {
    const { runFanOut } = await import('./fanout.js');
    return runFanOut(options, action, io);
  }
  if (options.completion !== undefined) {
    const { completionScript } = await import('./completion.js');
    try {
      io.outRaw(completionScript(options.completion));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return;
  }
  if (options.describe !== undefined) {
    const { runDescribe } = await import('./describe.js');
    return runDescribe(options, io);
  }
  if (options.wait) {
    if (!action) throw new UsageError('--wait needs a COMMAND that starts a job or a migration');
    const { runWait } = await import('./wait.js');
    return runWait(options, action, io);
  }
  if (options.jobs) {
    const { runJobsView } = await import('./jobs-view.js');
    return runJobsView(options, io);
  }
  if (options.events) {
    const { runEventStream } = await import('./events.js');
    return runEventStream(options, io);
  }
  if (options.waitEvent.length > 0) {
    const { runWaitEvent } = await import('./events.js');
    return runWaitEvent(options, action, io);
  }
  if (action) return runOneShot(options, action, io);
  if (options.file !== undefined || !process.stdin.isTTY) {
    const { runBatch } = await import('./batch.js');
    return runBatch(options, io);
  }
  const { runRepl } = await import('./repl/index.js');
  return runRepl(options, io, VERSION);
}

function describe(err: unknown): string {
  if (err instanceof QmpError) return err.message.replace(/\s*\n\s*/g, ' ');
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
