/**
 * Batch mode: one statement per line (REPL syntax), one session, one output
 * line per command, in order.
 *
 * Speed: a run of consecutive read-only commands (query-*, HMP info, ...) is
 * pipelined, at most PIPELINE_DEPTH in flight; anything that can change the
 * VM waits for every reply before it and is sent alone, so stop-on-error
 * keeps its meaning: no command with effects runs after a failure. QEMU
 * without OOB reads one request at a time (QMP-NOTES "Session" 6); the rest
 * wait in the socket buffer, which is what pipelining needs.
 */
import type { Readable } from 'node:stream';
import { ConnectionClosedError, InterruptedError, ProtocolError, QmpError } from '../../errors.js';
import { parseStatement } from '../../shell/line.js';
import { actionOfStatement, type Action } from '../core/action.js';
import { exitCodeFor } from '../core/exit-codes.js';
import { check, isReadOnlyAction, send } from '../core/gate.js';
import { messageWithHint } from '../core/hints.js';
import { openScript, readLines, readStatements, type NumberedStatement } from '../core/lines.js';
import { openSession, type CliSession, type Runtime } from '../core/session.js';
import type { Mode } from '../options/decide.js';
import { compactJson } from '../output/format.js';

/**
 * At most this many read-only commands in flight. QMPSH_PIPELINE_DEPTH
 * overrides it (1 = lock-step, as the batch benchmark compares).
 */
const PIPELINE_DEPTH = pipelineDepth(process.env.QMPSH_PIPELINE_DEPTH);

function pipelineDepth(text: string | undefined): number {
  const n = Number(text);
  // 8: QEMU queues at most 8 in-band requests with OOB (QMP-NOTES "Session" 6).
  return text !== undefined && Number.isSafeInteger(n) && n >= 1 && n <= 8 ? n : 8;
}

type Outcome = { ok: true; output: string } | { ok: false; error: unknown };

interface InFlight {
  line: number;
  outcome: Promise<Outcome>;
  settled?: Outcome;
}

type Batch = Extract<Mode, { kind: 'batch' }>;

export async function runBatch(mode: Batch, rt: Runtime, target: string): Promise<void> {
  const { io } = rt;
  const input: Readable = openScript(mode.file);
  // OOB lets QEMU parse the next requests while it runs one: pipelining then pays.
  const session = openSession(rt, target, {
    capabilities: ['oob'],
    json: mode.json ? (value) => io.out(compactJson(value)) : undefined,
  });
  /** Sent, not yet reported, in script order. */
  const inFlight: InFlight[] = [];
  /** Commands sent and not yet answered (the pipelined ones and a lone one with effects). */
  let pending = 0;
  let worst = 0;
  let failures = 0;
  let lastLine = 0;
  /** Set once the run must end; reading the script stops at once. */
  let stop: QmpError | undefined;

  const halt = (error: QmpError) => {
    if (stop) return;
    stop = error;
    inFlight.length = 0; // replies to later lines are not reported
    input.destroy();
  };

  /** Reports one line's outcome; halts the run when it must stop. */
  const report = (line: number, outcome: Outcome) => {
    if (outcome.ok) {
      if (!mode.json) io.out(outcome.output);
      return;
    }
    const error = asQmpError(outcome.error);
    failures++;
    const fatal = error instanceof ConnectionClosedError || error instanceof ProtocolError || !mode.keepGoing;
    if (fatal) return halt(lineScoped(line, error));
    io.error(messageWithHint(lineScoped(line, error)));
    worst = Math.max(worst, exitCodeFor(error));
  };

  /** Reports, in script order, every outcome that is in: output appears as replies come. */
  const reportReady = () => {
    while (!stop && inFlight.length > 0 && inFlight[0]?.settled) {
      const done = inFlight.shift() as InFlight;
      report(done.line, done.settled as Outcome);
    }
  };
  const send = (line: number, action: Action): InFlight => {
    pending++;
    const entry: InFlight = { line, outcome: outcomeOf(session, action) };
    void entry.outcome.then((outcome) => {
      pending--;
      entry.settled = outcome;
      reportReady();
    });
    return entry;
  };
  const settleAll = async () => {
    while (!stop && inFlight.length > 0) await (inFlight[0] as InFlight).outcome;
  };

  // Ctrl-C, another signal that ends qmpsh, or a reader gone from stdout: no more lines are run.
  const onAbort = () =>
    halt(
      new InterruptedError(
        `interrupted after line ${lastLine}: the rest of the script was not run` +
          (pending > 0 ? `; ${pending === 1 ? 'a command' : `${pending} commands`} sent may still run in QEMU` : ''),
      ),
    );
  if (session.signal.aborted) onAbort();
  else session.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await session.open();
    // QEMU may go away while the script waits on a slow stdin: stop at once and
    // say so. (With a command pending, that command's own error says it.)
    session.client.on('close', (error) => {
      if (error && pending === 0) halt(lineScoped(lastLine, error, 'after line'));
    });
    await readScript(input, async ({ line, text }) => {
      if (stop) return;
      lastLine = line;
      let action: Action | undefined;
      try {
        action = actionOfStatement(parseStatement(text));
        if (action) check(action, session.readOnly);
      } catch (err) {
        await settleAll();
        report(line, { ok: false, error: err });
        return;
      }
      if (!action) return;
      if (isReadOnlyAction(action)) {
        if (inFlight.length >= PIPELINE_DEPTH) await (inFlight[0] as InFlight).outcome;
        inFlight.push(send(line, action));
      } else {
        // Effects wait for every earlier reply, and go alone.
        await settleAll();
        if (stop) return;
        inFlight.push(send(line, action));
        await settleAll();
      }
    }).catch((err: unknown) => {
      // halt() destroys the input on purpose: that end is not an error.
      if (!stop) throw err;
    });
    await settleAll();
  } finally {
    session.signal.removeEventListener('abort', onAbort);
    session.close();
    if (input !== process.stdin) input.destroy();
  }
  if (stop) throw stop;
  if (failures > 0) {
    process.exitCode = worst;
    io.error(`${failures} command${failures === 1 ? '' : 's'} failed`);
  }
}

/** Feeds each statement of the script to `handle`, one after the other. */
async function readScript(input: Readable, handle: (s: NumberedStatement) => Promise<void>): Promise<void> {
  for await (const statement of readStatements(readLines(input))) await handle(statement);
}


function outcomeOf(session: CliSession, action: Action): Promise<Outcome> {
  return send(session, action).then(
    (result): Outcome => ({
      ok: true,
      // One line per command: HMP text as a JSON string.
      output: compactJson(result.kind === 'qmp' ? result.value : result.text),
    }),
    (error: unknown): Outcome => ({ ok: false, error }),
  );
}

function asQmpError(error: unknown): QmpError {
  if (error instanceof QmpError) return error;
  throw error; // a bug: let main() report it as such
}

/** The same error, its message prefixed with the script line. */
function lineScoped(line: number, error: QmpError, where = 'line'): QmpError {
  const scoped = Object.create(Object.getPrototypeOf(error) as object) as QmpError;
  Object.assign(scoped, error);
  Object.defineProperty(scoped, 'message', { value: `${where} ${line}: ${error.message}` });
  Object.defineProperty(scoped, 'cause', { value: error });
  return scoped;
}
