/**
 * --read-only: which requests cannot change the VM. An allow-list, so a
 * command QEMU adds later is refused until someone decides it is harmless.
 */
import type { QmpCall } from './shell/parse.js';

const READ_ONLY_COMMANDS = new Set(['qom-list', 'qom-get', 'qom-list-types', 'qmp_capabilities']);

export function isReadOnlyCommand(name: string): boolean {
  return /^(x-)?query-/.test(name) || READ_ONLY_COMMANDS.has(name);
}

/** HMP `info ...` only (the `info` command and its abbreviation `i` are read-only). */
export function isReadOnlyHmp(commandLine: string): boolean {
  return /^\s*(info|i)(\s|$)/.test(commandLine);
}

/** A call, judged by its command and (for HMP) its command line as typed. */
export function isReadOnlyCall(call: QmpCall): boolean {
  if (call.execute === 'human-monitor-command') {
    const word = call.words.find((w) => w.key === 'command-line');
    const line = word ? word.raw : call.base['command-line'];
    return typeof line === 'string' && isReadOnlyHmp(line);
  }
  return isReadOnlyCommand(call.execute);
}
