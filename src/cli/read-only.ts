/** --read-only: refuse, before anything is sent, what could change the VM. */
import { UsageError } from '../errors.js';
import { isReadOnlyHmp, isReadOnlyRequest } from '../policy.js';
import type { Request } from '../protocol/messages.js';

const ALLOWED = 'allowed: query-*, qom-list, qom-get, qom-list-types and HMP info';

export function checkReadOnly(action: { kind: 'qmp'; request: Request } | { kind: 'hmp'; commandLine: string }): void {
  if (action.kind === 'hmp') {
    if (!isReadOnlyHmp(action.commandLine)) {
      throw new UsageError(`--read-only: refused HMP '${action.commandLine}': it may change the VM (${ALLOWED})`);
    }
    return;
  }
  if (!isReadOnlyRequest(action.request)) {
    throw new UsageError(`--read-only: refused '${action.request.execute}': it may change the VM (${ALLOWED})`);
  }
}
