/** The commander definition of qmpsh's command line (loaded only when an option is given). */
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { DEFAULT_PARALLEL, DEFAULTS, HelpShown, toCliOptions, type CliOptions, type RawOptions } from './program.js';

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

export function parseWithCommander(
  argv: readonly string[],
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): CliOptions | HelpShown {
  // --launch: everything after `--` is QEMU's command line, not ours.
  let launchArgv: string[] | undefined;
  if (argv.includes('--launch')) {
    const dash = argv.indexOf('--');
    if (dash >= 0) {
      launchArgv = argv.slice(dash + 1);
      argv = argv.slice(0, dash);
    }
  }
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
    .option('--connect-timeout <seconds>', 'limit for connect + greeting + negotiation', DEFAULTS.connectTimeout)
    .option('--timeout <seconds>', 'limit for each command\'s reply (0 = none)', DEFAULTS.timeout)
    .option('--max-message-size <bytes>', 'largest message accepted from QEMU (e.g. 64M)', DEFAULTS.maxMessageSize)
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
    .option('--no-validate', 'send key=value arguments as typed, without checking them against the schema')
    .option('--describe [name]', 'describe a command or event from the live schema; alone, list them all')
    .option('--wait', 'follow the job or migration COMMAND starts, with live progress, to its end')
    .option('--complete', 'with --wait: complete a mirror job when it is ready')
    .option('--cancel-on-interrupt', 'with --wait: Ctrl-C cancels the job or migration instead of leaving it running')
    .option('--jobs', 'a live view of every job and the migration, until Ctrl-C (or --until-done)')
    .option('--until-done', 'with --jobs: end when no job or migration is left')
    .option('--parallel <n>', `with several targets: how many at once (default ${DEFAULT_PARALLEL})`)
    .option('--table', 'with several targets: the replies as an aligned table, one row per target')
    .option('--launch', 'start QEMU (its command line after --) on a private socket, run COMMAND / the script / the shell, stop it')
    .option('--keep', 'with --launch: leave QEMU running and print its socket')
    .option('--listen <path>', 'listen on PATH for a QEMU started with -qmp unix:PATH (QEMU as the client)')
    .option('--agent', 'the target is a guest agent (qemu-ga) socket: no greeting, no negotiation')
    .option('--completion <shell>', 'print a completion script for bash or zsh: eval "$(qmpsh --completion bash)"')
    .option('--show-secrets', 'do not mask passwords and secrets in --log and --verbose output')
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

  const o = { ...program.opts<RawOptions>(), ...(launchArgv ? { launchArgv } : {}) };
  const [target, command, rest] = program.processedArgs as [string | undefined, string | undefined, string[]];
  const positionals = [target, command, ...(rest ?? [])].filter((w): w is string => w !== undefined);
  return toCliOptions(o, positionals, program.getOptionValueSource('timeout') !== 'default', env);
}
