/**
 * commander, built from the option table (options/table.ts): parsing and
 * --help. Loaded only when an option is given (the common one-shot has none).
 * It returns what was given, by the table's names; options/decide.ts makes
 * the decisions.
 */
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { EXIT_CODES_HELP } from '../core/exit-codes.js';
import { OPTIONS, flagsOf, keyOf } from './table.js';
import type { Given } from './decide.js';

const EXAMPLES = `Examples:
  qmpsh /run/vm.qmp query-status
  qmpsh /run/vm.qmp block_set_io_throttle device=drive0 bps=1000000 bps_rd=0 bps_wr=0 iops=0 iops_rd=0 iops_wr=0
  qmpsh /run/vm.qmp '{"execute": "query-block"}' | jq '.[0].device'
  qmpsh /run/vm.qmp --hmp 'info status'
  qmpsh '/run/vms/*.qmp' query-status --table

Arguments are key=value, typed by the live schema (query-qmp-schema, cached
per QEMU build): a str stays a string, an int keeps every digit, a bool takes
true/false/on/off/yes/no, a.b=1 builds {"a": {"b": 1}}, a repeated key builds
a list; key:=JSON forces JSON. --no-validate sends them typed by their look.

Scripts (batch mode: no COMMAND and stdin not a terminal, or -f FILE):
  printf 'stop\\nquery-status\\ncont\\n' | qmpsh /run/vm.qmp
  qmpsh /run/vm.qmp -f script.qmp --keep-going
  qmpsh /run/vm.qmp --wait-event SHUTDOWN system_powerdown
  qmpsh /run/vm.qmp --events --event 'BLOCK_JOB_*' --count 1

Targets: /path/to.sock, unix:/path, host:port, tcp:host:port, [::1]:port,
ssh://[user@]host[:port]/path, a VM by name: @web1, ssh://node3/@web1;
several targets or a glob ('/run/vms/*.qmp', '@web*') run the same command
(or script, --events, --wait, ...) on each.

Finding VMs (from /proc: names, monitors, free or held and by whom):
  qmpsh ps                         this host's QEMUs (--status: run states)
  qmpsh ps ssh://node3             another node's, over ssh
  qmpsh ps '@web*' --status        only the VMs those names or globs match
Without a TARGET, $QMPSH_TARGET is used.`;

export interface Parsed {
  given: Given;
  positionals: string[];
  launchArgv: string[] | undefined;
}

/** Help or --version was printed: nothing else to do. */
export class HelpShown {
  constructor(readonly exitCode: number) {}
}

/** `print`: where --help and --version go (stdout, through the output sink). */
export function parseWithCommander(argv: readonly string[], version: string, print: (text: string) => void): Parsed | HelpShown {
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
    .usage('[options] TARGET... [COMMAND [key=value ...]]')
    .description('Run QMP commands on a QEMU monitor and print the replies.')
    .argument('[target]', 'QMP socket path, host:port or ssh:// (default: $QMPSH_TARGET)')
    .argument('[command]', 'QMP command name, or a whole JSON request')
    .argument('[args...]', 'arguments as key=value')
    .allowExcessArguments(true);
  for (const spec of OPTIONS) {
    if (spec.long === 'help' || spec.long === 'version') continue;
    const help = spec.default !== undefined ? `${spec.help} (default ${spec.default})` : spec.help;
    const option = new Option(flagsOf(spec), help);
    if (spec.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    program.addOption(option);
  }
  program
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${EXAMPLES}\n\n${EXIT_CODES_HELP}\n`)
    .exitOverride()
    .configureOutput({
      writeOut: print,
      // commander writes errors through outputError only (silenced below).
      writeErr: print,
      // Errors are printed by main() as one `qmpsh: ...` line.
      outputError: () => {},
    });

  try {
    program.parse(argv as string[], { from: 'node' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return new HelpShown(0);
      throw new UsageError(`${err.message.replace(/^error: /, '')} (see qmpsh --help)`, { cause: err });
    }
    throw err;
  }

  const values = program.opts<Record<string, unknown>>();
  const given = new Map<string, string | boolean | string[]>();
  for (const spec of OPTIONS) {
    const key = keyOf(spec);
    if (program.getOptionValueSource(key) !== 'cli') continue;
    const value = values[key];
    // --no-color is stored as color=false: given means "on" here.
    given.set(spec.long, spec.long.startsWith('no-') ? true : (value as string | boolean | string[]));
  }
  const [target, command, rest] = program.processedArgs as [string | undefined, string | undefined, string[]];
  const positionals = [target, command, ...(rest ?? [])].filter((w): w is string => w !== undefined);
  return { given, positionals, launchArgv };
}
