/**
 * The gate: the one place where the CLI sends a request a user asked for.
 * Every mode (one-shot, batch, REPL, fan-out, --wait, --wait-event, --launch)
 * goes through `send`, so --read-only cannot be bypassed by any of them, HMP
 * included (only `info`). Requests qmpsh makes for itself (query-jobs while
 * following a job, the schema, completion look-ups) are read-only by
 * construction and use the client directly; test/cli/structure.test.ts checks
 * that no other file sends a request whose name is not a literal.
 *
 * `check` is the same judgement without sending: one-shots and scripts call it
 * before connecting, so a refused command costs no connection at all.
 */
import { runHmp } from '../../hmp.js';
import type { Request } from '../../protocol/messages.js';
import { typedTransactionAction } from '../../schema/typed-args.js';
import { untypedTransaction, type TransactionStep } from '../../shell/line.js';
import { buildArguments } from '../../shell/parse.js';
import type { JsonValue } from '../../protocol/json.js';
import { quitsQemu, type Action } from './action.js';
import { check } from './read-only.js';
import type { CliSession } from './session.js';

export { check, isReadOnlyAction, refusal } from './read-only.js';

export type Sent = { kind: 'qmp'; value: JsonValue } | { kind: 'hmp'; text: string };

/** Checks, types (by the live schema) and sends one action; HMP errors throw HmpError. */
export async function send(session: CliSession, action: Action, signal: AbortSignal = session.signal): Promise<Sent> {
  check(action, session.readOnly);
  if (action.kind === 'hmp') {
    return { kind: 'hmp', text: await runHmp(session.client, action.commandLine, { signal }) };
  }
  const request =
    action.kind === 'request'
      ? action.request
      : action.kind === 'transaction'
        ? await transactionRequest(session, action.steps)
        : await session.schema.request(action.call);
  // Typing never changes the command, but the policy is judged on what goes on the wire.
  const wire: Action = { kind: 'request', request };
  check(wire, session.readOnly);
  // `human-monitor-command command-line=quit` closes the connection as `quit` does: that is its success.
  const expectsClose = quitsQemu(wire);
  return { kind: 'qmp', value: await session.client.execute(request.execute, request.arguments, { signal, expectsClose }) };
}

/** Each action typed by the schema's TransactionAction union (by its `type`), else by its look. */
async function transactionRequest(session: CliSession, steps: readonly TransactionStep[]): Promise<Request> {
  const schema = await session.schema.full();
  if (!schema) return untypedTransaction(steps);
  const actions = steps.map(
    (st) => typedTransactionAction(schema, st.type, st.words) ?? { type: st.type, data: buildArguments(st.words) },
  );
  return { execute: 'transaction', arguments: { actions } };
}
