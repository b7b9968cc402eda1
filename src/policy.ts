/**
 * --read-only: which requests cannot change the VM. An allow-list, so a
 * command QEMU adds later is refused until someone decides it is harmless.
 */
const READ_ONLY_COMMANDS = new Set(['qom-list', 'qom-get', 'qom-list-types', 'qmp_capabilities']);

/** qemu-ga's look-ups (qga/qapi-schema.json): guest-info, guest-get-*, ... */
const READ_ONLY_AGENT = /^guest-(get-[\w-]+|info|ping|network-get-[\w-]+)$/;

export function isReadOnlyCommand(name: string): boolean {
  return /^(x-)?query-/.test(name) || READ_ONLY_COMMANDS.has(name) || READ_ONLY_AGENT.test(name);
}

/**
 * HMP `info ...` only. (HMP `i` is not short for `info`: it reads an I/O port,
 * which can change a device's state, e.g. drain the i8042's buffer.)
 */
export function isReadOnlyHmp(commandLine: string): boolean {
  return /^\s*info(\s|$)/.test(commandLine);
}
