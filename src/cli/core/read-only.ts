/**
 * --read-only, judged on an action: what may change the VM is refused.
 * Pure; options/decide.ts asks before connecting, the gate (core/gate.ts)
 * again at sending, on the request as it goes on the wire.
 */
import { UsageError } from '../../errors.js';
import { isReadOnlyCommand, isReadOnlyHmp } from '../../policy.js';
import { commandOf, hmpLineOf, type Action } from './action.js';

const ALLOWED = 'allowed: query-*, qom-list, qom-get, qom-list-types and HMP info';

/** Why --read-only refuses the action, or undefined when it cannot change the VM. */
export function refusal(action: Action): string | undefined {
  const line = hmpLineOf(action);
  if (line !== undefined) {
    return isReadOnlyHmp(line) ? undefined : `--read-only: refused HMP '${line}': it may change the VM (${ALLOWED})`;
  }
  const name = commandOf(action);
  return isReadOnlyCommand(name) ? undefined : `--read-only: refused '${name}': it may change the VM (${ALLOWED})`;
}

/** Cannot change the VM (batch mode pipelines these). */
export function isReadOnlyAction(action: Action): boolean {
  return refusal(action) === undefined;
}

/** Throws (exit 2) when --read-only forbids the action. */
export function check(action: Action, readOnly: boolean): void {
  const why = readOnly ? refusal(action) : undefined;
  if (why) throw new UsageError(why);
}
