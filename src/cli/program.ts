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

Targets: /path/to.sock, unix:/path, host:port, tcp:host:port, [::1]:port.`;

export function parseCommandLine(argv: readonly string[], version: string): CliOptions | HelpShown {
  const program = new Command('qmpsh')
    .usage('[options] TARGET [COMMAND [key=value ...]]')
    .description('Run QMP commands on a QEMU monitor and print the replies.')
    .argument('<target>', 'QMP socket path or host:port')
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
  }>();
  const [target, command, args] = program.processedArgs as [string, string | undefined, string[]];
  if (o.hmp !== undefined && command !== undefined) {
    throw new UsageError('give either --hmp CMDLINE or a COMMAND, not both');
  }
  if (o.hmp !== undefined && o.args !== undefined) {
    throw new UsageError('--args does not apply to --hmp');
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
  };
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
