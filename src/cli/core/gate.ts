/** --read-only: refuse, before anything is sent, what could change the VM. */
import { UsageError } from '../errors.js';
import { isReadOnlyCall, isReadOnlyHmp } from '../policy.js';
import type { Action } from './oneshot.js';

const ALLOWED = 'allowed: query-*, qom-list, qom-get, qom-list-types and HMP info';

export function checkReadOnly(action: Action): void {
  if (action.kind === 'hmp') {
    if (!isReadOnlyHmp(action.commandLine)) {
      throw new UsageError(`--read-only: refused HMP '${action.commandLine}': it may change the VM (${ALLOWED})`);
    }
    return;
  }
  if (!isReadOnlyCall(action.call)) {
    throw new UsageError(`--read-only: refused '${action.call.execute}': it may change the VM (${ALLOWED})`);
  }
}
