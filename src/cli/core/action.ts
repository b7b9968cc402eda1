/**
 * What a user asks qmpsh to send: a QMP call (typed later, by the live
 * schema) or an HMP command line. Every mode turns its input into these and
 * hands them to the gate (core/gate.ts), the one place that sends them.
 */
import { UsageError } from '../../errors.js';
import { isQuitHmp } from '../../hmp.js';
import type { Request } from '../../protocol/messages.js';
import type { Statement, TransactionStep } from '../../shell/line.js';
import { jsonValue, parseValue, type QmpCall } from '../../shell/parse.js';

export type Action =
  | { kind: 'qmp'; call: QmpCall }
  | { kind: 'hmp'; commandLine: string }
  /** A request built whole by the shell (a REPL transaction): already typed. */
  | { kind: 'request'; request: Request }
  /** `transaction( TYPE k=v, ... )`: each action typed by the schema at sending. */
  | { kind: 'transaction'; steps: TransactionStep[] };

/** The QMP command an action sends (for messages and the policy). */
export function commandOf(action: Action): string {
  if (action.kind === 'hmp') return 'human-monitor-command';
  if (action.kind === 'transaction') return 'transaction';
  return action.kind === 'qmp' ? action.call.execute : action.request.execute;
}

/** The HMP command line an action runs (`!LINE`, or a human-monitor-command call), if any. */
export function hmpLineOf(action: Action): string | undefined {
  if (action.kind === 'hmp') return action.commandLine;
  if (action.kind === 'transaction') return undefined;
  if (action.kind === 'request') {
    const line = action.request.arguments?.['command-line'];
    return action.request.execute === 'human-monitor-command' ? (typeof line === 'string' ? line : '') : undefined;
  }
  if (action.call.execute !== 'human-monitor-command') return undefined;
  const word = action.call.words.find((w) => w.key === 'command-line');
  // The value as it will be sent: `command-line="info status"` is the line `info status`.
  const value = word ? (word.json ? jsonValue(word.key, word.raw) : parseValue(word.key, word.raw)) : action.call.base['command-line'];
  return typeof value === 'string' ? value : word ? word.raw : '';
}

/**
 * The action makes QEMU exit: `quit`, or HMP's `quit`/`q` however it is sent
 * (`!q`, `.hmp q`, `human-monitor-command command-line=quit`, its JSON form).
 * One decision: the REPL asks before these, and the gate tells the session to
 * expect the close (QMP-NOTES "Session" 5: the reply races with EOF).
 * A transaction's actions cannot quit.
 */
export function quitsQemu(action: Action): boolean {
  const line = hmpLineOf(action);
  if (line !== undefined) return isQuitHmp(line);
  return action.kind !== 'transaction' && commandOf(action) === 'quit';
}

/** A script's statement -> its action (none for an empty line). Scripts have no `.commands`. */
export function actionOfStatement(statement: Statement): Action | undefined {
  switch (statement.kind) {
    case 'empty':
      return undefined;
    case 'qmp':
      return { kind: 'qmp', call: statement.call };
    case 'hmp':
      return { kind: 'hmp', commandLine: statement.commandLine };
    case 'transaction':
      return { kind: 'transaction', steps: statement.actions };
    case 'shell':
      throw new UsageError(`'.${statement.name}' is a command of the interactive shell, not of scripts`);
  }
}

/** What a fan-out fills in for `{name}` and `{target}`, per target. */
export interface Placeholders {
  name: string;
  target: string;
}

const PLACEHOLDER = /\{(name|target)\}/g;

export function hasPlaceholders(action: Action): boolean {
  const test = (s: string) => /\{(name|target)\}/.test(s);
  if (action.kind === 'hmp') return test(action.commandLine);
  if (action.kind === 'request') return test(JSON.stringify(action.request));
  if (action.kind === 'transaction') return action.steps.some((st) => st.words.some((w) => test(w.raw)));
  return action.call.words.some((w) => test(w.raw)) || test(JSON.stringify(action.call.base));
}

/**
 * The action with `{name}` and `{target}` filled in (a fan-out's snapshot
 * writes one file per VM, not one file from every VM), in every string value
 * as typed, the HMP line, and JSON arguments.
 */
export function fillPlaceholders(action: Action, values: Placeholders): Action {
  const fill = (s: string) => s.replace(PLACEHOLDER, (_, key: keyof Placeholders) => values[key]);
  const deep = <T>(v: T): T =>
    (typeof v === 'string'
      ? fill(v)
      : Array.isArray(v)
        ? v.map(deep)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]))
          : v) as T;
  if (action.kind === 'hmp') return { kind: 'hmp', commandLine: fill(action.commandLine) };
  if (action.kind === 'request') return { kind: 'request', request: deep(action.request) };
  if (action.kind === 'transaction') {
    return { kind: 'transaction', steps: action.steps.map((st) => ({ ...st, words: st.words.map((w) => ({ ...w, raw: fill(w.raw) })) })) };
  }
  return {
    kind: 'qmp',
    call: { ...action.call, base: deep(action.call.base), words: action.call.words.map((w) => ({ ...w, raw: fill(w.raw) })) },
  };
}
