/**
 * One statement of the REPL / batch syntax -> what to do. Pure.
 *
 *   # comment, blank           nothing
 *   query-status               a QMP command, with key=value words after it
 *   {"execute": ...}           a whole JSON request (may span lines)
 *   !info status               one HMP command line
 *   .help, .events on          qmpsh's own commands: QMP names never start with '.'
 *   transaction( TYPE k=v, TYPE k=v )
 *                              a transaction, as qmp-shell takes it: on one line,
 *                              or over several (one action a line, ")" ends it)
 */
import { UsageError } from '../errors.js';
import type { Request } from '../protocol/messages.js';
import { buildArguments, parseCommand, parseWords, type QmpCall, type RawArg } from './parse.js';
import { tokenize } from './tokenize.js';

export type Statement =
  | { kind: 'empty' }
  | { kind: 'qmp'; call: QmpCall }
  | { kind: 'hmp'; commandLine: string }
  | { kind: 'shell'; name: string; words: string[] }
  | { kind: 'transaction'; actions: TransactionStep[] };

/** One action of a transaction as typed: its type and its key=value words. */
export interface TransactionStep {
  type: string;
  words: RawArg[];
}

const TRANSACTION = /^transaction\(/;

/**
 * True when `text` is an unfinished statement that a further line may
 * complete: a bracket or brace (JSON pasted over several lines) still open.
 */
export function needsMoreInput(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) return false;
  // A transaction over several lines ends with a line that closes it.
  if (TRANSACTION.test(trimmed)) return !/\)\s*$/.test(trimmed);
  const result = tokenize(trimmed);
  return !result.ok && /brace|bracket/.test(result.incomplete);
}

export function parseStatement(text: string): Statement {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'empty' };
  if (trimmed.startsWith('!')) {
    const commandLine = trimmed.slice(1).trim();
    if (!commandLine) throw new UsageError("'!' needs an HMP command line, e.g. !info status");
    return { kind: 'hmp', commandLine };
  }
  if (trimmed.startsWith('{')) return { kind: 'qmp', call: parseCommand(trimmed, []) };
  if (TRANSACTION.test(trimmed)) return parseTransaction(trimmed);
  const result = tokenize(trimmed);
  if (!result.ok) throw new UsageError(`incomplete input: ${result.incomplete}`);
  const [first, ...rest] = result.words as [string, ...string[]];
  if (first.startsWith('.')) return { kind: 'shell', name: first.slice(1), words: rest };
  return { kind: 'qmp', call: parseCommand(first, rest) };
}

/** `transaction( TYPE k=v, TYPE k=v )`, actions split by commas or lines. */
function parseTransaction(text: string): Statement {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new UsageError('a transaction ends with ")"');
  const inner = text.slice('transaction('.length, close).trim();
  if (text.slice(close + 1).trim() !== '') throw new UsageError('nothing may follow the ")" of a transaction');
  // Actions end at a comma after a word (qmp-shell's `, `) or at a line's end;
  // a quoted value keeps its commas.
  const result = tokenize(inner.replace(/\n/g, ' , '));
  if (!result.ok) throw new UsageError(`incomplete input in a transaction: ${result.incomplete}`);
  const groups: string[][] = [[]];
  for (const word of result.words) {
    const ends = word.endsWith(',');
    const bare = ends ? word.slice(0, -1) : word;
    if (bare !== '') (groups[groups.length - 1] as string[]).push(bare);
    if (ends) groups.push([]);
  }
  const actions: TransactionStep[] = [];
  for (const [type, ...words] of groups) {
    if (type === undefined) continue;
    if (!/^[A-Za-z][\w-]*$/.test(type)) throw new UsageError(`'${type}' is not a transaction action type (e.g. blockdev-snapshot-sync)`);
    actions.push({ type, words: parseWords(words) });
  }
  if (actions.length === 0) throw new UsageError('a transaction needs at least one action, e.g. transaction( abort )');
  return { kind: 'transaction', actions };
}

/** The transaction as typed, each value by its look (without a schema). */
export function untypedTransaction(steps: readonly TransactionStep[]): Request {
  return { execute: 'transaction', arguments: { actions: steps.map((a) => ({ type: a.type, data: buildArguments(a.words) })) } };
}
