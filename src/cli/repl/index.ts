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
import { CommandError, InterruptedError, QmpError } from '../../errors.js';
import { isQuitHmp, runHmp } from '../../hmp.js';
import { greetingVersion, isObject, type EventMessage, type JsonObject, type Request } from '../../protocol/messages.js';
import { needsMoreInput, parseStatement } from '../../shell/line.js';
import { parseArguments, parseRequest, parseWords } from '../../shell/parse.js';
import { typedTransactionAction } from '../../schema/typed-args.js';
import { tokenizeComplete } from '../../shell/tokenize.js';
import type { Action } from '../core/action.js';
import { check, send, type Sent } from '../core/gate.js';
import { messageWithHint } from '../core/hints.js';
import { onCleanup } from '../core/interrupt.js';
import { displayedWire, openSession, wireLine, type Runtime } from '../core/session.js';
import type { Mode } from '../options/decide.js';
import { compactJson, eventLine, prettyJson } from '../output/format.js';
import { inert, isInert } from '../output/inert.js';
import { complete } from './completer.js';
import { historyPath, MAX_ENTRIES, openHistory } from './history.js';
import { installReverseSearch } from './search.js';
import { SchemaArgumentCompleter, type LiveNameSets } from '../completion/arguments.js';
import { fetchLiveNames } from './live-names.js';
import type { Schema } from '../../schema/schema.js';
import { SHELL_COMMANDS } from './help.js';
import { runShellCommand, type ReplSettings } from './shell-commands.js';
import { runStateAfter } from './run-state.js';
import { keepInHistory } from './secret-lines.js';

/** qapi/transaction.json TransactionAction types (QEMU 7.2). */
const TRANSACTION_ACTIONS = [
  'abort',
  'block-dirty-bitmap-add',
  'block-dirty-bitmap-clear',
  'block-dirty-bitmap-disable',
  'block-dirty-bitmap-enable',
  'block-dirty-bitmap-merge',
  'block-dirty-bitmap-remove',
  'blockdev-backup',
  'blockdev-snapshot',
  'blockdev-snapshot-internal-sync',
  'blockdev-snapshot-sync',
  'drive-backup',
];

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
  const settings: ReplSettings = { verbose: common.verbose, hmpMode: false, showEvents: !common.quiet, pretty: mode.pretty ?? true };
  client.on('wire', (m) => {
    // Completion's own look-ups (schema, live names) stay out of the trace.
    if (settings.verbose && !m.internal) say(paint.dim(wireLine(displayedWire(m, common.showSecrets))));
  });

  // Events from the first moment on (they may share a read with the
  // negotiation reply) are kept until the shell can show them, then shown.
  let onEvent: (event: EventMessage) => void;
  const early: EventMessage[] = [];
  onEvent = (event) => early.push(event);
  client.on('event', (event: EventMessage) => onEvent(event));
  await session.open();
  // A guest agent has neither (it would answer CommandNotFound).
  const [commands, status] = common.agent
    ? [[], {}]
    : await Promise.all([
        client.execute('query-commands').catch(() => []),
        client.execute('query-status').catch(() => ({ status: 'unknown' })),
      ]);
  // Peer data: only the shapes QEMU gives are used (anything else: no names, state unknown).
  const qmpCommands = (Array.isArray(commands) ? commands : [])
    .map((c) => (isObject(c) ? c.name : undefined))
    .filter((n): n is string => typeof n === 'string' && n !== 'qmp_capabilities');
  // Peer text, shown in the prompt: never live.
  const reported = isObject(status) && typeof status.status === 'string' ? status.status : 'unknown';
  let runState = common.agent ? 'agent' : inert(reported);
  let hmpCommands: string[] | undefined;
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
    // Candidates come from the peer (command, HMP, schema and live names): one
    // with a control character in it is dropped, never shown live.
    completer: (line: string): [string[], string] => {
      const [candidates, partial] = complete(line, {
        qmpCommands: () => qmpCommands,
        shellCommands: () => SHELL_COMMANDS.map((c) => c.name),
        hmpCommands: () => hmpCommands ?? (loadHmpCommands(), []),
        hmpMode: () => settings.hmpMode,
        inTransaction: () => transaction !== undefined,
        transactionActions: () => TRANSACTION_ACTIONS,
        helpTopics: () => (schema ? [...schema.commands, ...schema.events] : qmpCommands),
        argumentCompleter: new SchemaArgumentCompleter(
          () => schema,
          () => live,
        ),
      });
      return [candidates.filter(isInert), partial];
    },
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

  function loadHmpCommands(): void {
    hmpCommands = [];
    runHmp(client, 'help')
      .then((text) => {
        hmpCommands = [...new Set(text.split('\n').map((l) => l.split(/[\s|,]/)[0] ?? '').filter(Boolean))];
      })
      .catch(() => {});
  }

  onEvent = (event: EventMessage) => {
    const next = runStateAfter(event);
    if (next) runState = next;
    if (settings.showEvents) say(eventLine(event, paint));
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
        if (request.execute === 'quit' && !(await confirmQuit())) return;
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

  async function sendAction(action: Action): Promise<void> {
    check(action, session.readOnly);
    const sent = await withBusy((signal) => send(session, action, signal));
    if (sent.kind === 'qmp') say(settings.pretty ? prettyJson(sent.value, paint) : compactJson(sent.value));
  }

  /** Every request the user typed goes through the gate (core/gate.ts), as in every mode. */
  async function qmp(request: Request): Promise<void> {
    const quits = request.execute === 'quit';
    if (quits) quitting = true;
    let sent: Sent;
    try {
      sent = await withBusy((signal) => send(session, { kind: 'request', request }, signal));
    } catch (err) {
      if (quits) quitting = false;
      throw err;
    }
    if (sent.kind !== 'qmp') return;
    // The run state is whatever QEMU last said (GUEST_PANICKED leaves no event behind it).
    if (request.execute === 'query-status' && typeof (sent.value as JsonObject)?.status === 'string') {
      runState = inert((sent.value as JsonObject).status as string);
    }
    say(settings.pretty ? prettyJson(sent.value, paint) : compactJson(sent.value));
  }

  async function hmp(commandLine: string): Promise<void> {
    check({ kind: 'hmp', commandLine }, session.readOnly);
    const quits = isQuitHmp(commandLine);
    if (quits && !(await confirmQuit())) return;
    if (quits) quitting = true;
    const sent = await withBusy((signal) => send(session, { kind: 'hmp', commandLine }, signal));
    const text = sent.kind === 'hmp' ? sent.text : '';
    if (text) io.outText(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** The VM's names for completion, fetched in the background. */
  async function refreshLive(): Promise<void> {
    live = await fetchLiveNames(client);
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
      loadHmpCommands: () => {
        if (!hmpCommands) loadHmpCommands();
      },
      schema: (work) => session.schema.judge(work),
    });
  }

  // A guest agent sends no greeting (and so names no version).
  const qemuVersion = common.agent ? 'guest agent' : greetingVersion(client.greeting);
  // The greeting's version and package are the peer's words: inert.
  io.out(`${paint.bold(`qmpsh ${version}`)}: ${common.agent ? '' : 'QEMU '}${inert(qemuVersion)} at ${inert(formatAddress(client.address))}`);
  io.out(paint.dim('Type .help for help, Tab to complete, Ctrl-D to leave.'));
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
