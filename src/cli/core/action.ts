/**
 * What a user asks qmpsh to send: a QMP call (typed later, by the live
 * schema) or an HMP command line. Every mode turns its input into these and
 * hands them to the gate (core/gate.ts), the one place that sends them.
 */
import { UsageError } from '../../errors.js';
import type { Request } from '../../protocol/messages.js';
import type { Statement } from '../../shell/line.js';
import type { QmpCall } from '../../shell/parse.js';

export type Action =
  | { kind: 'qmp'; call: QmpCall }
  | { kind: 'hmp'; commandLine: string }
  /** A request built whole by the shell (a REPL transaction): already typed. */
  | { kind: 'request'; request: Request };

/** The QMP command an action sends (for messages and the policy). */
export function commandOf(action: Action): string {
  if (action.kind === 'hmp') return 'human-monitor-command';
  return action.kind === 'qmp' ? action.call.execute : action.request.execute;
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
    case 'shell':
      throw new UsageError(`'.${statement.name}' is a command of the interactive shell, not of scripts`);
  }
}
