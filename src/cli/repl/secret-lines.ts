/**
 * Which REPL lines stay out of the history file. A line is read into the
 * requests it would send (as QMP, HMP, a transaction's action), and it is
 * not saved when masking any of them would change it: the one table of
 * src/secrets.ts, which also masks --log and -v. Lines are never saved
 * masked: recalled and run again, `set_password vnc ********` would set that
 * password.
 */
import type { JsonValue } from '../../protocol/json.js';
import { hasSecret, maskHmpLine, SECRET_ARGUMENTS, SECRET_HMP, SECRET_NAME } from '../../secrets.js';
import { needsMoreInput, parseStatement, untypedTransaction } from '../../shell/line.js';
import { parseArguments, parseRequest, untypedRequest } from '../../shell/parse.js';
import { tokenizeComplete } from '../../shell/tokenize.js';

/** What the REPL is in when the line is entered. */
export interface LineContext {
  /** `.hmp` mode: lines are HMP command lines. */
  hmpMode: boolean;
  /** Inside `transaction(`: lines are actions. */
  inTransaction: boolean;
}

/** True when the line may be written to the history file. */
export function keepInHistory(text: string, context: LineContext): boolean {
  let requests: JsonValue[];
  try {
    requests = requestsOf(text, context);
  } catch {
    // A line that does not parse (it is not run either) cannot be checked: kept only if nothing in it looks secret.
    return !mentionsSecret(text);
  }
  return !requests.some(hasSecret);
}

const hmp = (commandLine: string): JsonValue => ({
  execute: 'human-monitor-command',
  arguments: { 'command-line': commandLine },
});

/** The requests the REPL would send for this line (index.ts handleStatement, without a schema). */
function requestsOf(text: string, context: LineContext): JsonValue[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('.')) {
    const [name, ...words] = tokenizeComplete(trimmed.slice(1));
    return name === 'hmp' && words.length > 0 ? [hmp(words.join(' '))] : [];
  }
  if (context.hmpMode) return trimmed ? [hmp(trimmed)] : [];
  if (context.inTransaction) {
    if (trimmed === '' || trimmed === ')') return [];
    const [type, ...words] = tokenizeComplete(trimmed) as [string, ...string[]];
    const action = parseRequest(type, words);
    return [{ execute: 'transaction', arguments: { actions: [{ type: action.execute, data: action.arguments ?? {} }] } }];
  }
  if (/^help(\s|$)/.test(trimmed)) return [];
  if (/^transaction\(/.test(trimmed) && needsMoreInput(trimmed)) {
    const properties = parseArguments(tokenizeComplete(trimmed.slice('transaction('.length)));
    return [{ execute: 'transaction', arguments: { actions: [], properties } }];
  }
  if (needsMoreInput(text)) throw new Error('incomplete');
  const statement = parseStatement(text);
  switch (statement.kind) {
    case 'empty':
    case 'shell':
      return [];
    case 'hmp':
      return [hmp(statement.commandLine)];
    case 'qmp':
      return [untypedRequest(statement.call) as unknown as JsonValue];
    case 'transaction':
      return [untypedTransaction(statement.actions) as unknown as JsonValue];
  }
}

/** For lines that do not parse: a secret's name, a command of the table, or what HMP masking would change. */
function mentionsSecret(text: string): boolean {
  const commands = [...Object.keys(SECRET_ARGUMENTS), ...Object.keys(SECRET_HMP)];
  return SECRET_NAME.test(text) || commands.some((c) => text.includes(c)) || maskHmpLine(text) !== text;
}
