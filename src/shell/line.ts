/**
 * One statement of the REPL / batch syntax -> what to do. Pure.
 *
 *   # comment, blank           nothing
 *   query-status               a QMP command, with key=value words after it
 *   {"execute": ...}           a whole JSON request (may span lines)
 *   !info status               one HMP command line
 *   .help, .events on          qmpsh's own commands: QMP names never start with '.'
 */
import { UsageError } from '../errors.js';
import { parseCommand, type QmpCall } from './parse.js';
import { tokenize } from './tokenize.js';

export type Statement =
  | { kind: 'empty' }
  | { kind: 'qmp'; call: QmpCall }
  | { kind: 'hmp'; commandLine: string }
  | { kind: 'shell'; name: string; words: string[] };

/**
 * True when `text` is an unfinished statement that a further line may
 * complete: a bracket or brace (JSON pasted over several lines) still open.
 */
export function needsMoreInput(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) return false;
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
  const result = tokenize(trimmed);
  if (!result.ok) throw new UsageError(`incomplete input: ${result.incomplete}`);
  const [first, ...rest] = result.words as [string, ...string[]];
  if (first.startsWith('.')) return { kind: 'shell', name: first.slice(1), words: rest };
  return { kind: 'qmp', call: parseCommand(first, rest) };
}
