/**
 * Error -> what to do, in the CLI's words. The library's errors say which of
 * its settings is involved (QmpError.hint) and never name a flag; this table
 * names the flag. The compiler checks that every hint has its words.
 */
import { CommandError, type QmpError, type QmpHint } from '../../errors.js';
import { replacementsIn } from '../../schema/replacements.js';

const FLAG_HINTS: Record<QmpHint, string> = {
  connectTimeoutMs: 'raise the limit with --connect-timeout',
  commandTimeoutMs: 'raise the limit with --timeout',
  maxMessageBytes: 'raise the limit with --max-message-size',
  waitForSocketMs: 'raise the wait with --wait-socket',
  schema: 'qmpsh TARGET --describe lists them',
  agent: 'use --agent',
  maxBuffered: 'read events faster',
};

/** In the interactive shell, its own words where they differ. */
const SHELL_HINTS: Partial<Record<QmpHint, string>> = {
  schema: '.help and Tab list them; help NAME describes one',
};

export function hintFor(error: QmpError, where: 'cli' | 'shell' = 'cli'): string | undefined {
  if (!error.hint) return undefined;
  return (where === 'shell' ? SHELL_HINTS[error.hint] : undefined) ?? FLAG_HINTS[error.hint];
}

/** The message with its hint, as printed on one line. */
export function messageWithHint(error: QmpError, where: 'cli' | 'shell' = 'cli'): string {
  const hint = hintFor(error, where) ?? removedHint(error);
  return `${error.message.replace(/\s*\n\s*/g, ' ')}${hint ? ` (${hint})` : ''}`;
}

/** QEMU refused an argument or value a later QEMU removed (given as JSON, so not caught before sending): its replacement. */
function removedHint(error: QmpError): string | undefined {
  if (!(error instanceof CommandError) || !error.request) return undefined;
  const found = replacementsIn(error.request.execute, error.request.arguments, error.desc);
  return found.length ? found.join('; ') : undefined;
}
