/** The command line: commander in, a plain options object out. */
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

export interface CliOptions {
  target: string;
  command: string | undefined;
  args: string[];
  argsJson: string | undefined;
  hmp: string | undefined;
  json: boolean;
  pretty: boolean | undefined;
  color: boolean;
  verbose: boolean;
  debug: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
  maxMessageBytes: number;
  /** --timeout was given (not the default): --events and --wait-event use it as a deadline. */
  timeoutGiven: boolean;
  file: string | undefined;
  keepGoing: boolean;
  events: boolean;
  eventNames: string[];
  count: number | undefined;
  waitEvent: string[];
  matches: string[];
  log: string | undefined;
  readOnly: boolean;
  waitSocketMs: number;
}

/** Help and --version were printed: nothing else to do. */
export class HelpShown {
  constructor(readonly exitCode: number) {}
}

const EXAMPLES = `Examples:
  qmpsh /run/vm.qmp query-status
  qmpsh tcp:127.0.0.1:4444 block_set_io_throttle device=drive0 bps=1000000 bps_rd=0 bps_wr=0 iops=0 iops_rd=0 iops_wr=0
  qmpsh /run/vm.qmp '{"execute": "query-block"}' | jq '.[0].device'
  qmpsh /run/vm.qmp human-monitor-command command-line="info status"
  qmpsh /run/vm.qmp --hmp 'info status'

Arguments are key=value. A value that is JSON (1, true, null, {...}, [...],
"quoted") is sent as that JSON, anything else as a string; a.b=1 builds
{"a": {"b": 1}}. Integers keep every digit, also beyond 2^53.

Scripts (batch mode: no COMMAND and stdin not a terminal, or -f FILE):
  printf 'stop\nquery-status\ncont\n' | qmpsh /run/vm.qmp
  qmpsh /run/vm.qmp -f script.qmp --keep-going
  qmpsh /run/vm.qmp --wait-event SHUTDOWN quit
  qmpsh /run/vm.qmp --events --event 'BLOCK_JOB_*' --count 1

Targets: /path/to.sock, unix:/path, host:port, tcp:host:port, [::1]:port.
Without a TARGET, $QMPSH_TARGET is used.`;

const collect = (value: string, previous: string[]) => [...previous, value];

export function parseCommandLine(
  argv: readonly string[],
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): CliOptions | HelpShown {
  const program = new Command('qmpsh')
    .usage('[options] TARGET [COMMAND [key=value ...]]')
    .description('Run QMP commands on a QEMU monitor and print the replies.')
    .argument('[target]', 'QMP socket path or host:port (default: $QMPSH_TARGET)')
    .argument('[command]', 'QMP command name, or a whole JSON request')
    .argument('[args...]', 'arguments as key=value')
    .option('--hmp <cmdline>', 'run an HMP command line (via human-monitor-command) and print its text')
    .option('--args <json>', 'arguments as one JSON object (key=value pairs are added to it)')
    .option('--json', 'print every reply and event as received, one JSON object per line')
    .addOption(new Option('--pretty', 'indented output even when stdout is not a terminal').conflicts('compact'))
    .option('--compact', 'one-line output even on a terminal')
    .option('--no-color', 'no colours (also: NO_COLOR=1; FORCE_COLOR=1 forces them)')
    .option('-v, --verbose', 'show the messages on the wire (on stderr)')
    .option('--connect-timeout <seconds>', 'limit for connect + greeting + negotiation', '5')
    .option('--timeout <seconds>', 'limit for each command\'s reply (0 = none)', '60')
    .option('--max-message-size <bytes>', 'largest message accepted from QEMU (e.g. 64M)', '64M')
    .option('-f, --file <path>', 'run the commands in FILE, one per line (batch mode)')
    .option('--keep-going', 'batch mode: run on after a failing command (exit 1 at the end)')
    .option('--events', 'print events as NDJSON on stdout until Ctrl-C, --count or --timeout')
    .option('--event <name>', 'with --events: only this event (repeatable; globs like BLOCK_JOB_*)', collect, [])
    .option('--count <n>', 'with --events: stop after N events')
    .option('--wait-event <name>', 'send COMMAND (if any), then wait for this event and print it (repeatable)', collect, [])
    .option('--match <path=value>', 'with --wait-event/--events: the event must have this value (repeatable)', collect, [])
    .option('--log <file>', 'append every message sent and received to FILE as NDJSON (created 0600)')
    .option('--read-only', 'refuse commands that can change the VM (allowed: query-*, qom-list, qom-get, qom-list-types, HMP info)')
    .option('--wait-socket <seconds>', 'wait this long for a socket that does not exist yet or refuses connections')
    .option('--debug', 'show stack traces for errors')
    .version(version, '-V, --version')
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${EXAMPLES}\n\n${EXIT_CODES_HELP}\n`)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      // Errors are printed by main() as one `qmpsh: ...` line.
      outputError: () => {},
    });

  try {
    program.parse(argv as string[], { from: 'node' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') {
        return new HelpShown(0);
      }
      throw new UsageError(`${err.message.replace(/^error: /, '')} (see qmpsh --help)`, { cause: err });
    }
    throw err;
  }

  const o = program.opts<{
    hmp?: string;
    args?: string;
    json?: boolean;
    pretty?: boolean;
    compact?: boolean;
    color: boolean;
    verbose?: boolean;
    debug?: boolean;
    connectTimeout: string;
    timeout: string;
    maxMessageSize: string;
    file?: string;
    keepGoing?: boolean;
    events?: boolean;
    event: string[];
    count?: string;
    waitEvent: string[];
    match: string[];
    log?: string;
    readOnly?: boolean;
    waitSocket?: string;
  }>();
  const [target, command, args] = resolveTarget(
    program.processedArgs as [string | undefined, string | undefined, string[]],
    env,
  );
  if (o.hmp !== undefined && command !== undefined) {
    throw new UsageError('give either --hmp CMDLINE or a COMMAND, not both');
  }
  if (o.hmp !== undefined && o.args !== undefined) {
    throw new UsageError('--args does not apply to --hmp');
  }
  if (o.events && (command !== undefined || o.hmp !== undefined || o.waitEvent.length > 0)) {
    throw new UsageError('--events streams events only: give no COMMAND, --hmp or --wait-event with it');
  }
  if (o.file !== undefined && (command !== undefined || o.hmp !== undefined)) {
    throw new UsageError('give either -f FILE or a COMMAND, not both');
  }
  const count = o.count === undefined ? undefined : Number(o.count);
  if (count !== undefined && (!Number.isSafeInteger(count) || count < 1)) {
    throw new UsageError(`--count wants a whole number of events (1 or more), not '${o.count}'`);
  }
  return {
    target,
    command,
    args: args ?? [],
    argsJson: o.args,
    hmp: o.hmp,
    json: Boolean(o.json),
    pretty: o.pretty ? true : o.compact ? false : undefined,
    color: o.color,
    verbose: Boolean(o.verbose),
    debug: Boolean(o.debug),
    connectTimeoutMs: seconds('--connect-timeout', o.connectTimeout),
    timeoutMs: seconds('--timeout', o.timeout),
    maxMessageBytes: byteSize('--max-message-size', o.maxMessageSize),
    timeoutGiven: program.getOptionValueSource('timeout') !== 'default',
    file: o.file,
    keepGoing: Boolean(o.keepGoing),
    events: Boolean(o.events),
    eventNames: o.event,
    count,
    waitEvent: o.waitEvent,
    matches: o.match,
    log: o.log,
    readOnly: Boolean(o.readOnly),
    waitSocketMs: o.waitSocket === undefined ? 0 : seconds('--wait-socket', o.waitSocket),
  };
}

const HOST_PORT_LIKE = /^(\[[0-9A-Fa-f:.%\w-]+\]|[A-Za-z0-9._-]+):\d+$/;

/** Does this word name a target rather than a command? Command names hold no '/' or ':'. */
function looksLikeTarget(word: string): boolean {
  if (word.startsWith('{')) return false;
  return word.includes('/') || /^(unix|tcp):/.test(word) || HOST_PORT_LIKE.test(word);
}

/**
 * With $QMPSH_TARGET set, the TARGET may be left out: then the first word is
 * the command. A first word that looks like a target still is one.
 */
function resolveTarget(
  [first, second, rest]: [string | undefined, string | undefined, string[]],
  env: NodeJS.ProcessEnv,
): [string, string | undefined, string[]] {
  const fallback = env.QMPSH_TARGET;
  if (first !== undefined && (!fallback || looksLikeTarget(first))) return [first, second, rest ?? []];
  if (!fallback) throw new UsageError('no TARGET given: name a QMP socket (or host:port), or set QMPSH_TARGET');
  if (first === undefined) return [fallback, undefined, []];
  return [fallback, first, [...(second !== undefined ? [second] : []), ...(rest ?? [])]];
}

function seconds(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`${flag} wants a number of seconds (0 or more), not '${text}'`);
  }
  return Math.round(n * 1000);
}

const SIZE = /^(\d+)\s*([kmg]?)(?:i?b)?$/i;
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function byteSize(flag: string, text: string): number {
  const m = SIZE.exec(text.trim());
  const n = m ? Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag} wants a size such as 1048576, 512K, 64M or 1G, not '${text}'`);
  }
  return n;
}
