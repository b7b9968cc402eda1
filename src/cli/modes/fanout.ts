/**
 * Fan-out: the same mode on many targets (several given, or a glob),
 * concurrently (--parallel N). Each mode's own per-target core runs on every
 * target, through the same session factory and gate as with one target; a
 * target that is busy, dead or missing is that target's error, never fatal
 * for the others.
 *
 * Output, in the order the targets were given (globs sorted): one NDJSON line
 * per target ({"target", "return"} or {"target", "error"}) when stdout is not
 * a terminal; a readable block per target on a terminal, or with --pretty
 * anywhere (as one target's --pretty indents off a terminal); --table, one row
 * per target. Streams (--events, progress of --wait) are lines tagged with their
 * target as they come. A summary line on stderr last; exit 0 only if every
 * target succeeded, else the highest exit code among them.
 */
import { InterruptedError, QmpError, UsageError } from '../../errors.js';
import type { JsonValue } from '../../protocol/json.js';
import type { EventMessage } from '../../protocol/messages.js';
import { parseStatement } from '../../shell/line.js';
import { actionOfStatement, fillPlaceholders, hasPlaceholders, type Action, type Placeholders } from '../core/action.js';
import { internal } from '../core/internal.js';
import { errorJson, reportFanOut } from '../core/fanout-report.js';
import { check, send, type Sent } from '../core/gate.js';
import { messageWithHint } from '../core/hints.js';
import { openScript, readLines, readStatements, type NumberedStatement } from '../core/lines.js';
import { withSession, type CliSession, type Runtime } from '../core/session.js';
import type { Mode } from '../options/decide.js';
import type { ExpandedTarget } from '../options/targets.js';
import { expandWithNames, listings } from '../core/names.js';
import { compactJson, prettyJson } from '../output/format.js';
import { inert } from '../output/inert.js';
import type { Io } from '../output/io.js';

interface Result {
  target: string;
  ok: boolean;
  value?: JsonValue | undefined;
  /** HMP output or --describe text: peer text. */
  text?: string | undefined;
  /** Scripts: one result per line. */
  lines?: Array<{ line: number; value?: JsonValue; error?: QmpError }>;
  error?: QmpError;
  /** Streams printed as they came: nothing more to print on success. */
  streamed?: boolean;
}

export async function runFanOut(mode: Mode, words: readonly string[], parallel: number, rt: Runtime): Promise<void> {
  const script = mode.kind === 'batch' ? await readScript(mode.file, rt.common.readOnly) : undefined;
  const names = listings(rt.common.connectTimeoutMs, rt.signal);
  try {
    const targets = await expandWithNames(words, names);
    // A signal while the targets were looked up (a slow ssh login): nothing was run; each target's "interrupted" would say nothing more.
    if (rt.signal.aborted) throw new InterruptedError('interrupted while finding the targets');
    await fanOut(mode, targets, script, parallel, rt);
  } finally {
    names.release();
  }
}

async function fanOut(mode: Mode, targets: ExpandedTarget[], script: NumberedStatement[] | undefined, parallel: number, rt: Runtime): Promise<void> {
  const { io } = rt;
  if (mode.kind === 'jobs') {
    // One view of every target at once (a table, or snapshots): the view reports each target's failure itself.
    const { runJobsView } = await import('./jobs.js');
    return runJobsView(mode, rt, targets, true);
  }
  const results: Array<Result | undefined> = new Array(targets.length);
  const table = mode.kind === 'oneshot' && mode.format.table;
  // A block per target on a terminal, or wherever --pretty asks for indented values; else NDJSON lines.
  const blocks = !table && !jsonOf(mode) && (io.stdoutIsTTY || prettyOf(mode) === true);
  let printed = 0;
  const printReady = () => {
    if (table) return; // the table needs every row
    while (printed < results.length && results[printed]) print(results[printed++] as Result, blocks, mode, io);
  };
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const t = targets[i] as ExpandedTarget;
      results[i] = t.missing || t.error
        ? { target: t.target, ok: false, error: t.error ?? new UsageError(`no socket matches ${t.target}`) }
        : await runOne(mode, t, script, rt).catch((err: unknown) => {
            if (!(err instanceof QmpError)) throw err;
            return { target: t.target, ok: false, error: err };
          });
      printReady();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, targets.length) }, worker));
  const done = results as Result[];
  if (table) {
    const { renderTable } = await import('../output/table.js');
    io.out(
      renderTable(
        done.map((r) => ({ target: r.target, ok: r.ok, value: r.value ?? r.text, error: r.error && messageWithHint(r.error) })),
        io,
      ),
    );
  }
  await reportFanOut(io, done.map((r) => ({ target: r.target, error: r.ok ? undefined : r.error })));
}

function jsonOf(mode: Mode): boolean {
  switch (mode.kind) {
    case 'oneshot':
    case 'wait-event':
      return mode.format.json;
    case 'batch':
    case 'jobs':
      return mode.json;
    default:
      return false;
  }
}

/** --pretty (true) or --compact (false), in the modes that print a value. */
function prettyOf(mode: Mode): boolean | undefined {
  return mode.kind === 'oneshot' || mode.kind === 'wait-event' || mode.kind === 'wait' ? mode.format.pretty : undefined;
}

/** The script, read and checked whole before any target is touched. */
async function readScript(file: string | undefined, readOnly: boolean): Promise<NumberedStatement[]> {
  const statements: NumberedStatement[] = [];
  for await (const s of readStatements(readLines(openScript(file)))) statements.push(s);
  // Bad input anywhere, or a command --read-only refuses, is found before any target is touched.
  for (const s of statements) {
    try {
      const action = actionOfStatement(parseStatement(s.text));
      if (action) check(action, readOnly);
    } catch (err) {
      if (err instanceof QmpError) throw new UsageError(`line ${s.line}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  return statements;
}

async function runOne(mode: Mode, t: ExpandedTarget, script: NumberedStatement[] | undefined, rt: Runtime): Promise<Result> {
  const { io } = rt;
  const target = t.target;
  const tag = target;
  const tagged = (value: unknown) => io.out(compactJson({ target, ...(value as object) }));
  switch (mode.kind) {
    case 'oneshot':
    case 'batch': {
      const json = jsonOf(mode) ? tagged : undefined;
      return withSession(rt, t.address, { tag, json }, async (session) => {
        await session.open();
        const filled = (action: Action) => prepareFor(session, t, action);
        if (mode.kind === 'oneshot') return resultOf(target, await send(session, await filled(mode.action)), Boolean(json));
        const lines: NonNullable<Result['lines']> = [];
        for (const { line, text } of script ?? []) {
          const parsed = actionOfStatement(parseStatement(text));
          if (!parsed) continue;
          const action = await filled(parsed);
          try {
            const sent = await send(session, action);
            lines.push({ line, value: sent.kind === 'qmp' ? sent.value : sent.text });
          } catch (err) {
            if (!(err instanceof QmpError)) throw err;
            lines.push({ line, error: err });
            if (!mode.keepGoing) return { target, ok: false, lines, error: err, streamed: Boolean(json) };
          }
        }
        const failure = lines.find((l) => l.error)?.error;
        return failure ? { target, ok: false, lines, error: failure, streamed: Boolean(json) } : { target, ok: true, lines, streamed: Boolean(json) };
      });
    }
    case 'wait-event': {
      const { waitEventOn } = await import('./events.js');
      const json = mode.format.json ? tagged : undefined;
      const event = await waitEventOn(mode, rt, t.address, tag, json, (session, action) => prepareFor(session, t, action));
      return { target, ok: true, value: event as unknown as JsonValue, streamed: Boolean(json) };
    }
    case 'events': {
      const { streamEvents } = await import('./events.js');
      await streamEvents(mode, rt, t.address, (event: EventMessage) => tagged(event), tag);
      return { target, ok: true, streamed: true };
    }
    case 'wait': {
      const { followOn } = await import('./wait.js');
      // Several progress lines at once cannot share one spinner: tagged NDJSON on stderr.
      const { progressReporterTagged } = await import('../output/progress.js');
      // The final state, when the job got that far (shown in a block; an NDJSON line is either return or error).
      let summary: JsonValue | undefined;
      try {
        await followOn(mode, rt, t.address, progressReporterTagged(io, target), (s) => (summary = s), tag, (session, action) =>
          prepareFor(session, t, action),
        );
      } catch (err) {
        if (err instanceof QmpError) return { target, ok: false, value: summary, error: err };
        throw err;
      }
      return { target, ok: true, value: summary };
    }
    case 'describe': {
      const { describeOn } = await import('./describe.js');
      return { target, ok: true, text: await describeOn(mode, rt, t.address, tag) };
    }
    case 'repl':
    case 'jobs':
      // Decided against before connecting (options/decide.ts), handled above.
      throw new UsageError(`${mode.kind} does not fan out`);
  }
}

/** The action with this target's `{name}` and `{target}` filled in (none: as it is). */
async function prepareFor(session: CliSession, t: ExpandedTarget, action: Action): Promise<Action> {
  return hasPlaceholders(action) ? fillPlaceholders(action, await placeholdersOf(session, t)) : action;
}

/**
 * `{target}` is the target as given; `{name}` the VM's name (QEMU's -name, from
 * query-name), else the socket file's name without its extension.
 */
async function placeholdersOf(session: CliSession, t: ExpandedTarget): Promise<Placeholders> {
  const reply = await internal(session.client, 'query-name').catch(() => ({}));
  const given = (reply as { name?: unknown }).name;
  const base = t.target.split('/').pop()?.replace(/\.[^.]*$/, '') || t.target;
  return { target: t.target, name: typeof given === 'string' && given ? given : base };
}

function resultOf(target: string, sent: Sent, streamed: boolean): Result {
  return sent.kind === 'qmp'
    ? { target, ok: true, value: sent.value, streamed }
    : { target, ok: true, text: sent.text, streamed };
}

function print(r: Result, blocks: boolean, mode: Mode, io: Io): void {
  if (r.streamed && r.ok) return;
  if (r.streamed && !r.ok && !r.lines) {
    io.out(compactJson({ target: r.target, error: errorJson(r.error) }));
    return;
  }
  if (r.lines && !blocks) {
    for (const l of r.lines) {
      io.out(compactJson(l.error ? { target: r.target, line: l.line, error: errorJson(l.error) } : { target: r.target, line: l.line, return: l.value }));
    }
    if (r.error && !r.lines.some((l) => l.error)) io.out(compactJson({ target: r.target, error: errorJson(r.error) }));
    return;
  }
  if (!blocks) {
    const value = r.text !== undefined ? r.text : r.value;
    // The NDJSON contract: a line has either "return" or "error", never both.
    io.out(compactJson(r.ok ? { target: r.target, return: value ?? null } : { target: r.target, error: errorJson(r.error) }));
    return;
  }
  io.out(io.outPaint.bold(`== ${inert(r.target)}`));
  const pretty = 'format' in mode ? mode.format.pretty !== false : true;
  const show = (value: JsonValue) => io.out(pretty ? prettyJson(value, io.outPaint) : compactJson(value));
  if (r.lines) {
    for (const l of r.lines) {
      if (l.error) io.out(io.outPaint.red(`line ${l.line}: error: ${inert(messageWithHint(l.error))}`));
      else if (typeof l.value === 'string') io.outText(l.value.endsWith('\n') ? l.value : `${l.value}\n`);
      else show(l.value ?? null);
    }
  } else if (r.text !== undefined) {
    io.outText(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
  } else if (r.value !== undefined && r.value !== null) {
    show(r.value);
  } else if (r.ok) {
    show(null);
  }
  if (!r.ok && !r.lines?.some((l) => l.error)) io.out(io.outPaint.red(`error: ${inert(r.error ? messageWithHint(r.error) : 'failed')}`));
}
