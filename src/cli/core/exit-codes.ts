/** Exit codes: part of the interface, listed in README and --help. */
import type { QmpErrorCode } from '../../errors.js';

export const EXIT = {
  OK: 0,
  COMMAND_ERROR: 1,
  USAGE: 2,
  CONNECT: 3,
  CONNECTION_LOST: 4,
  TIMEOUT: 5,
  INTERRUPTED: 130,
  /** stdout cannot be written (ENOSPC, EIO; not its reader leaving): EX_IOERR. */
  OUTPUT_FAILED: 74,
} as const;

const BY_CODE: Record<QmpErrorCode, number> = {
  QMP_COMMAND_ERROR: EXIT.COMMAND_ERROR,
  QMP_HMP_ERROR: EXIT.COMMAND_ERROR,
  ERR_USAGE: EXIT.USAGE,
  QMP_CONNECT_FAILED: EXIT.CONNECT,
  QMP_MONITOR_BUSY: EXIT.CONNECT,
  QMP_NEGOTIATION_FAILED: EXIT.CONNECT,
  QMP_CONNECTION_CLOSED: EXIT.CONNECTION_LOST,
  QMP_PROTOCOL_ERROR: EXIT.CONNECTION_LOST,
  QMP_MESSAGE_TOO_LARGE: EXIT.CONNECTION_LOST,
  QMP_INVALID_STATE: EXIT.CONNECTION_LOST,
  // Library only (an event stream's buffer overflowed): the CLI reads every event at once.
  QMP_EVENT_OVERFLOW: EXIT.CONNECTION_LOST,
  QMP_TIMEOUT: EXIT.TIMEOUT,
  ERR_INTERRUPTED: EXIT.INTERRUPTED,
};

/** Unknown errors (bugs) exit 70 (EX_SOFTWARE) so they are never mistaken for QEMU's answers. */
export function exitCodeFor(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in BY_CODE) return BY_CODE[code as QmpErrorCode];
  return 70;
}

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    the command returned a QMP error (or HMP printed an error)
  2    usage error or bad input
  3    cannot connect, no greeting, negotiation failed, monitor busy
  4    connection lost or protocol violation
  5    timeout (no reply, job or event in time; a stopped QEMU)
  130  interrupted (Ctrl-C, SIGINT); 143 SIGTERM, 129 SIGHUP (128 + the signal)
  74   output cannot be written (stdout full or failing; not a reader that left)
  70   internal error in qmpsh (a bug: please report it)`;
