/**
 * The interactive shell: `qmpsh TARGET` with a terminal on stdin.
 *
 * Input is the batch syntax (shell/line.ts) plus qmpsh's own `.commands`,
 * HMP (`!line`, or `.hmp` mode) and qmp-shell's transaction mode. Events are
 * printed the moment they arrive, above the prompt, and the half-typed line
 * is redrawn intact.
 */
import readline from 'node:readline';
import { formatAddress } from '../../address.js';
import { CommandError, InterruptedError, QmpError, UsageError } from '../../errors.js';
import type { EventMessage, JsonObject, Request } from '../../protocol/messages.js';
import { needsMoreInput, parseStatement } from '../../shell/line.js';
import { parseArguments, parseRequest, parseWords } from '../../shell/parse.js';
import { typedTransactionAction } from '../../schema/typed-args.js';
import { tokenizeComplete } from '../../shell/tokenize.js';
import { quitsQemu, type Action } from '../core/action.js';
import { check, send, type Sent } from '../core/gate.js';
import { messageWithHint } from '../core/hints.js';
import { onCleanup } from '../core/interrupt.js';
import { openSession, wireLine, type Runtime } from '../core/session.js';
import type { Mode } from '../options/decide.js';
import { compactJson, eventLine, PLAIN, prettyJson } from '../output/format.js';
import { inert } from '../output/inert.js';
import { HmpNames, replCompleter } from './tab.js';
import { banner, firstLook } from './first-look.js';
import { replyShower } from './reply.js';
import { follow, jobsTable } from './follow.js';
import type { ProgressReporter } from '../output/progress.js';
import { historyPath, MAX_ENTRIES, openHistory } from './history.js';
import { installReverseSearch } from './search.js';
import type { LiveNameSets } from '../completion/arguments.js';
import { fetchLiveNames } from './live-names.js';
import type { Schema } from '../../schema/schema.js';
import type { QmpClient } from '../../session.js';
import { runShellCommand, type ReplSettings } from './shell-commands.js';
import { runStateAfter } from './run-state.js';
import { keepInHistory } from './secret-lines.js';

type Repl = Extract<Mode, { kind: 'repl' }>;

/** `shown`: what the prompt calls the target (`@web1`), when not its socket's file name. */
export async function runRepl(mode: Repl, rt: Runtime, target: string, version: string, shown?: string): Promise<void> {
  const { io, common } = rt;
  // -v is the shell's own (.verbose switches it); --log, masking, timeouts are the factory's.
  const session = openSession(rt, target, { events: 'none', verbose: false });
  const { client } = session;
  const paint = io.outPaint;
  /** The prompt has been shown once: say() redraws it (declared first: -v speaks during the negotiation). */
  let prompting = false;
  const settings: ReplSettings = { verbose: common.verbose, hmpMode: false, showEvents: !common.quiet, pretty: mode.pretty ?? true, pager: true };
  client.on('wire', (m) => {
    // As --log records them: all of it, qmpsh's own look-ups (schema, live names) marked (wireLine).
    if (settings.verbose) say(paint.dim(wireLine(session.shown(m))));
  });

  // Events from the first moment on (they may share a read with the
  // negotiation reply) are kept until the shell can show them, then shown.
  let onEvent: (event: EventMessage) => void;
  const early: EventMessage[] = [];
  onEvent = (event) => early.push(event);
  client.on('event', (event: EventMessage) => onEvent(event));
  await session.open();
  const first = await firstLook(client, common.agent);
  const qmpCommands = first.commands;
  let runState = first.runState;
  /** The QEMU that qmpsh's own look-ups ask (completion, live names, .jobs): none on a guest agent, which has no such commands. */
  const qemu = common.agent ? undefined : client;
  const hmpNames = new HmpNames(qemu);
  let schema: Schema | undefined;
  /** For completion and help, in the background; again after a line, which may have replaced a stale cached schema by the live one. */
  const refreshSchema = () => void session.schema.full().then((s) => (schema = s));
  let live: LiveNameSets = { devices: [], nodes: [], jobs: [], ids: [] };

  const history = openHistory(historyPath());
  let pendingLines: string[] = [];
  let transaction: { properties: JsonObject; actions: JsonObject[] } | undefined;
  let busy: AbortController | undefined;
  let quitting = false;
  let ended = false;
  const queue: string[] = [];
  let draining = false;

  const rl = readline.createInterface({
    input: process.stdin,
    output: io.stdout,
    terminal: true,
    history: history.entries,
    historySize: MAX_ENTRIES,
    removeHistoryDuplicates: true,
    tabSize: 4,
    // Candidates, and what they need from QEMU first: repl/tab.ts.
    completer: replCompleter(
      {
        qemu,
        qmpCommands: () => qmpCommands,
        hmpMode: () => settings.hmpMode,
        inTransaction: () => transaction !== undefined,
        schema: () => schema,
        live: () => live,
      },
      hmpNames,
    ),
  });
  installReverseSearch(rl);
  rl.on('history', () => {}); // entries are saved as they are run, below

  const label = inert(shown ?? (formatAddress(client.address).split('/').pop() as string));
  const prompt = () => {
    if (pendingLines.length > 0) return paint.dim('... ');
    const colour = runState === 'running' ? paint.green : runState === 'paused' ? paint.yellow : paint.red;
    const mode = settings.hmpMode ? paint.magenta('(hmp) ') : '';
    const tx = transaction ? paint.cyan(` transaction[${transaction.actions.length}]`) : '';
    return `${mode}${paint.bold(label)} ${colour(`[${runState}]`)}${tx}> `;
  };
  const showPrompt = () => {
    if (ended) return;
    rl.setPrompt(prompt());
    rl.prompt(true);
  };

  /** Prints text above the prompt (if one is shown), then redraws prompt and line. */
  function say(text: string, stream: 'out' | 'err' = 'out'): void {
    // Before the prompt exists (-v shows the negotiation), there is nothing to redraw.
    const promptShown = prompting && !busy && !ended && !draining;
    if (promptShown) {
      const rows = rl.getCursorPos().rows;
      readline.moveCursor(io.stdout, 0, -rows);
      readline.cursorTo(io.stdout, 0);
      readline.clearScreenDown(io.stdout);
    }
    if (stream === 'out') io.out(text);
    else io.err(text);
    if (promptShown) showPrompt();
  }
  const sayError = (message: string) => say(io.errPaint.red(message), 'err');
  /** Events that came while the pager had the screen: shown when it exits. */
  let heldEvents: EventMessage[] | undefined;
  const showReply = replyShower(io, rl, settings, say, {
    start: () => (heldEvents = []),
    end: () => {
      const held = heldEvents ?? [];
      heldEvents = undefined;
      for (const event of held) onEvent(event);
    },
  });
  /** While `.wait` shows its progress, events are lines above it. */
  let progress: ProgressReporter | undefined;

  onEvent = (event: EventMessage) => {
    if (heldEvents) return void heldEvents.push(event);
    const next = runStateAfter(event);
    if (next) runState = next;
    if (settings.showEvents && progress) progress.note(eventLine(event, PLAIN));
    else if (settings.showEvents) say(eventLine(event, paint));
    else if (next && !busy) showPrompt();
  };

  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  const end = (code: number, message?: string, offThePrompt = message !== undefined) => {
    if (ended) return;
    // Off the prompt line first (a prompt is shown unless a command was running).
    const promptShown = !busy && !draining;
    ended = true;
    if (promptShown && offThePrompt) io.err('');
    if (message) io.error(message);
    process.exitCode = code;
    busy?.abort();
    session.close();
    // Gives the terminal back as it was (echo, line editing): readline leaves raw mode.
    rl.close();
    finish();
  };
  // A signal that ends qmpsh (SIGTERM, SIGHUP, SIGINT from outside: Ctrl-C on
  // the keyboard is readline's own, below) ends the shell the same way; main
  // sets the exit code (128+N). Should the process have to go at once, the
  // terminal still gets echo and line editing back.
  const leaveRawMode = onCleanup(() => {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
  });
  const onRunEnd = () => end(Number(process.exitCode ?? 0), undefined, true);
  if (rt.signal.aborted) onRunEnd();
  else rt.signal.addEventListener('abort', onRunEnd, { once: true });

  client.on('close', (error?: QmpError) => {
    if (quitting) {
      io.out('QEMU has quit.');
      end(0);
    } else {
      end(4, error ? messageWithHint(error) : 'QEMU closed the connection');
    }
  });

  rl.on('SIGINT', () => {
    if (busy) {
      busy.abort();
      return;
    }
    if (pendingLines.length > 0 || transaction) {
      pendingLines = [];
      if (transaction) say(paint.dim('transaction discarded'));
      transaction = undefined;
      rl.write(null, { ctrl: true, name: 'u' });
      showPrompt();
      return;
    }
    if (rl.line.length > 0) {
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      return;
    }
    say(paint.dim('(to leave, press Ctrl-D or type .exit)'));
  });
  rl.on('close', () => end(Number(process.exitCode ?? 0)));

  rl.on('line', (line) => {
    queue.push(line);
    void drain();
  });

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (queue.length > 0 && !ended) await handleLine(queue.shift() as string);
    if (!ended) void refreshLive(); // what the commands changed
    } finally {
      draining = false;
    }
    showPrompt();
  }

  async function handleLine(line: string): Promise<void> {
    pendingLines.push(line);
    const text = pendingLines.join('\n');
    // `transaction(` alone starts the shell's transaction mode (one action a
    // prompt); anything else still open waits for its next line.
    const opensTransaction = pendingLines.length === 1 && /^\s*transaction\(/.test(text) && !/\)\s*$/.test(text);
    if (!settings.hmpMode && !opensTransaction && needsMoreInput(text)) return;
    pendingLines = [];
    // A line with a secret in it (by the table that masks --log and -v) is run but not written to the history file.
    const context = { hmpMode: settings.hmpMode, inTransaction: transaction !== undefined };
    if (text.trim() && (common.showSecrets || keepInHistory(text, context))) history.add(text);
    try {
      await handleStatement(text);
    } catch (err) {
      if (err instanceof InterruptedError) sayError(`interrupted: ${err.message}`);
      else if (err instanceof CommandError) sayError(inert(err.message));
      else if (err instanceof QmpError) sayError(inert(messageWithHint(err, 'shell')));
      else throw err;
    }
  }

  async function handleStatement(text: string): Promise<void> {
    const trimmed = text.trim();
    if (trimmed.startsWith('.')) return shellCommand(trimmed);
    if (settings.hmpMode) {
      if (trimmed) await hmp(trimmed);
      return;
    }
    if (transaction) return transactionLine(trimmed);
    if (/^help(\s|$)/.test(trimmed)) return shellCommand(`.${trimmed}`);
    if (/^transaction\(/.test(trimmed) && !/\)\s*$/.test(trimmed)) {
      const words = tokenizeComplete(trimmed.slice('transaction('.length));
      transaction = { properties: parseArguments(words), actions: [] };
      say(paint.dim('transaction: one action per line (TYPE key=value ...), ")" sends it, Ctrl-C discards it'));
      return;
    }
    const statement = parseStatement(text);
    switch (statement.kind) {
      case 'empty':
        return;
      case 'hmp':
        return hmp(statement.commandLine);
      case 'shell':
        return shellCommand(trimmed);
      case 'transaction':
        // One line (qmp-shell's form): typed and sent through the gate like the rest.
        return sendAction({ kind: 'transaction', steps: statement.actions });
      case 'qmp': {
        // Refused before anything is asked or typed: the gate says no either way.
        check({ kind: 'qmp', call: statement.call }, session.readOnly);
        const request = await session.schema.request(statement.call).finally(refreshSchema);
        return qmp(request);
      }
    }
  }

  async function transactionLine(line: string): Promise<void> {
    const tx = transaction as NonNullable<typeof transaction>;
    if (line === '') return;
    if (line === ')') {
      transaction = undefined;
      const args: JsonObject = { actions: tx.actions };
      if (Object.keys(tx.properties).length > 0) args.properties = tx.properties;
      return qmp({ execute: 'transaction', arguments: args });
    }
    const [type, ...words] = tokenizeComplete(line) as [string, ...string[]];
    // Typed by the schema when there is one (the action union, by `type`), else by look.
    const typed = await session.schema
      .judge((s, warn) => typedTransactionAction(s, type, parseWords(words), { warn }))
      .finally(refreshSchema);
    if (typed) {
      tx.actions.push(typed);
    } else {
      const request = parseRequest(type, words);
      tx.actions.push({ type: request.execute, data: request.arguments ?? {} });
    }
  }

  async function withBusy<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    busy = new AbortController();
    try {
      return await work(busy.signal);
    } finally {
      busy = undefined;
    }
  }

  /**
   * Every action the user typed goes through the gate (core/gate.ts), as in
   * every mode. One that quits QEMU (core/action.ts quitsQemu: `quit`, `!q`,
   * human-monitor-command's quit, ...) asks first; once sent, QEMU's going
   * away is the success it asked for (exit 0). Undefined: not sent.
   */
  async function run(action: Action): Promise<Sent | undefined> {
    check(action, session.readOnly);
    const quits = quitsQemu(action);
    if (quits && !(await confirmQuit())) return undefined;
    if (quits) quitting = true;
    try {
      return await withBusy((signal) => send(session, action, signal));
    } catch (err) {
      if (quits) quitting = false;
      throw err;
    }
  }

  async function sendAction(action: Action): Promise<void> {
    const sent = await run(action);
    if (sent?.kind === 'qmp') await showReply(settings.pretty ? prettyJson(sent.value, paint) : compactJson(sent.value));
  }

  async function qmp(request: Request): Promise<void> {
    const sent = await run({ kind: 'request', request });
    if (sent?.kind !== 'qmp') return;
    // The run state is whatever QEMU last said (GUEST_PANICKED leaves no event behind it).
    if (request.execute === 'query-status' && typeof (sent.value as JsonObject)?.status === 'string') {
      runState = inert((sent.value as JsonObject).status as string);
    }
    await showReply(settings.pretty ? prettyJson(sent.value, paint) : compactJson(sent.value));
  }

  async function hmp(commandLine: string): Promise<void> {
    const sent = await run({ kind: 'hmp', commandLine });
    const text = sent?.kind === 'hmp' ? sent.text : '';
    if (text) await showReply(text, 'peer');
  }

  /** The VM's names for completion, fetched in the background. */
  async function refreshLive(): Promise<void> {
    if (qemu) live = await fetchLiveNames(qemu);
  }

  /** `.jobs` and `.wait` look at QEMU's jobs and migration: a guest agent has neither. */
  function jobsQemu(what: string): QmpClient {
    if (!qemu) throw new UsageError(`${what} is about QEMU's jobs and migration: a guest agent has none`);
    return qemu;
  }

  function confirmQuit(): Promise<boolean> {
    return new Promise((resolve) => {
      rl.question(paint.yellow('quit makes QEMU exit (the VM is gone). Send it? [y/N] '), (answer) => {
        resolve(/^y(es)?$/i.test(answer.trim()));
      });
    });
  }

  function shellCommand(text: string): Promise<void> {
    return runShellCommand(text, {
      settings,
      paint,
      say,
      exit: () => end(0),
      hmp,
      loadHmpCommands: () => void hmpNames.load(),
      schema: (work) => session.schema.judge(work),
      wait: (id) => {
        const jobs = jobsQemu('.wait');
        return withBusy(async (signal) => {
          await follow(id, { client: jobs, stream: io.stderr, signal, onReporter: (r) => (progress = r) });
        });
      },
      jobs: async () => say((await jobsTable(jobsQemu('.jobs'))).join('\n')),
    });
  }

  for (const line of banner(client, version, common.agent, paint)) io.out(line);
  if (history.problem) io.warn(history.problem);
  // The run state came from query-status, after these: print them, keep the state.
  for (const event of early.splice(0)) if (settings.showEvents) io.out(eventLine(event, paint));
  prompting = true;
  showPrompt();
  // For completion and help: in the background, never in the way of a command.
  refreshSchema();
  void refreshLive();
  try {
    await done;
  } finally {
    rt.signal.removeEventListener('abort', onRunEnd);
    leaveRawMode();
  }
}
