/** `qmpsh TARGET COMMAND [key=value ...]` and `qmpsh TARGET --hmp CMDLINE`. */
import { UsageError } from '../errors.js';
import { runHmp } from '../hmp.js';
import type { JsonValue } from '../protocol/json.js';
import { parseCommand, type QmpCall } from '../shell/parse.js';
import { checkReadOnly } from './read-only.js';
import { compactJson, prettyJson } from './format.js';
import type { Io } from './io.js';
import type { CliOptions } from './program.js';
import { cliSession } from './session.js';

/** What one command line asks for: a QMP request or an HMP line. Checked before connecting. */
export type Action = { kind: 'qmp'; call: QmpCall } | { kind: 'hmp'; commandLine: string };

export function actionOf(options: CliOptions): Action | undefined {
  let action: Action | undefined;
  if (options.hmp !== undefined) {
    if (options.args.length > 0) {
      throw new UsageError('--hmp takes its whole command line as one quoted argument');
    }
    action = { kind: 'hmp', commandLine: options.hmp };
  } else if (options.command !== undefined) {
    action = { kind: 'qmp', call: parseCommand(options.command, options.args, options.argsJson) };
  }
  if (action && options.readOnly) checkReadOnly(action);
  return action;
}

export async function runAction(
  session: ReturnType<typeof cliSession>,
  action: Action,
): Promise<{ kind: 'qmp'; value: JsonValue } | { kind: 'hmp'; text: string }> {
  if (action.kind === 'hmp') {
    return { kind: 'hmp', text: await runHmp(session.client, action.commandLine, { signal: session.signal }) };
  }
  const { execute, arguments: args } = await session.schema.request(action.call);
  return { kind: 'qmp', value: await session.client.execute(execute, args, { signal: session.signal }) };
}

export async function runOneShot(options: CliOptions, action: Action, io: Io): Promise<void> {
  const session = cliSession(options, io);
  try {
    await session.open();
    const result = await runAction(session, action);
    if (options.json) return;
    if (result.kind === 'hmp') io.outRaw(result.text);
    else io.out(formatValue(result.value, options, io));
  } finally {
    session.close();
  }
}

export function formatValue(value: JsonValue, options: CliOptions, io: Io): string {
  const pretty = options.pretty ?? io.stdoutIsTTY;
  return pretty ? prettyJson(value, io.outPaint) : compactJson(value);
}
