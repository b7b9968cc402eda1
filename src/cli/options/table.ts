/**
 * The one option table. Parsing (commander, options/commander.ts), --help,
 * the bash/zsh/fish completion (completion/) and the README's option table
 * are all made from it; test/cli/options-table.test.ts fails when any of them
 * drifts from it.
 *
 * `modes` says where an option means something. An option given in any other
 * mode is refused before connecting (exit 2), never silently ignored
 * (options/decide.ts). Options without `modes` are cross-cutting: every mode
 * that talks to QEMU honours them, through the one session factory
 * (core/session.ts).
 */

/** What qmpsh does with a command line: decided once, in options/decide.ts. */
export const MODE_KINDS = ['oneshot', 'batch', 'repl', 'events', 'wait-event', 'wait', 'jobs', 'describe'] as const;
export type ModeKind = (typeof MODE_KINDS)[number];

/** How the shells complete an option's value. */
export type ValueCompletion = 'files' | 'events' | 'names' | 'none' | readonly string[];

export interface OptionSpec {
  /** Without the dashes: 'timeout', 'no-color'. */
  readonly long: string;
  readonly short?: string;
  /** The value's name in help (`<seconds>`); absent for a flag. */
  readonly value?: string;
  /** The value may be left out (--describe alone lists everything). */
  readonly optionalValue?: boolean;
  readonly repeatable?: boolean;
  readonly default?: string;
  readonly help: string;
  /** The modes it applies to; absent: cross-cutting (every mode that connects). */
  readonly modes?: readonly ModeKind[];
  /** Applies to `qmpsh ps` too (which is no mode: it lists processes, options/decide.ts). */
  readonly ps?: boolean;
  /** Applies only with several targets or a glob (fan-out). */
  readonly fanOutOnly?: boolean;
  readonly complete?: ValueCompletion;
  /** Shown in the README under this heading. */
  readonly group: 'output' | 'connection' | 'scripts' | 'events' | 'schema' | 'jobs' | 'targets' | 'safety' | 'misc';
}

/** Modes whose output is a JSON value (oneshot-like). */
const VALUE_MODES: readonly ModeKind[] = ['oneshot', 'wait-event', 'wait'];

export const OPTIONS: readonly OptionSpec[] = [
  // What to run
  { long: 'hmp', value: '<cmdline>', group: 'misc', modes: ['oneshot', 'wait-event'], complete: 'none',
    help: 'run an HMP command line (via human-monitor-command) and print its text' },
  { long: 'args', value: '<json>', group: 'misc', modes: VALUE_MODES, complete: 'none',
    help: 'arguments as one JSON object (key=value pairs are added to it)' },
  // Output
  { long: 'json', group: 'output', ps: true, modes: ['oneshot', 'batch', 'events', 'wait-event', 'jobs'],
    help: 'every reply and event as received, one JSON object per line (--jobs: NDJSON even on a terminal)' },
  { long: 'pretty', group: 'output', modes: [...VALUE_MODES, 'repl'],
    help: 'indented output even when stdout is not a terminal (several targets: a block per target)' },
  { long: 'compact', group: 'output', modes: [...VALUE_MODES, 'repl'], help: 'one-line output even on a terminal' },
  { long: 'table', group: 'output', modes: ['oneshot'], ps: true,
    help: 'the replies as an aligned table, one row per target (one target too); qmpsh ps: a table even when not on a terminal' },
  { long: 'status', group: 'output', modes: [], ps: true,
    help: 'with qmpsh ps: ask each free QMP monitor for its run state (query-status)' },
  { long: 'no-color', group: 'output', ps: true, help: 'no colours (also: NO_COLOR=1; FORCE_COLOR=1 forces them)' },
  { long: 'quiet', short: 'q', group: 'output', modes: ['oneshot', 'batch', 'wait-event', 'repl'],
    help: 'no event lines on stderr (errors and warnings still; the shell starts with .events off)' },
  { long: 'verbose', short: 'v', group: 'output', help: "show the messages on the wire (on stderr), secrets masked; qmpsh's own look-ups marked \"(qmpsh's own)\"" },
  // Connection
  { long: 'connect-timeout', value: '<seconds>', default: '5', group: 'connection', ps: true, complete: 'none',
    help: 'limit for connect + greeting + negotiation' },
  { long: 'timeout', value: '<seconds>', default: '60', group: 'connection', ps: true, complete: 'none',
    help: "limit for each command's reply (0 = none); with --events, --wait-event, --wait: the whole wait" },
  { long: 'max-message-size', value: '<bytes>', default: '64M', group: 'connection', complete: 'none',
    help: 'largest message accepted from QEMU (e.g. 64M)' },
  { long: 'wait-socket', value: '<seconds>', group: 'connection', complete: 'none',
    help: 'wait this long for a socket that does not exist yet or refuses connections' },
  { long: 'agent', group: 'connection', modes: ['oneshot', 'batch', 'repl'],
    help: 'the target is a guest agent (qemu-ga) socket: no greeting, no negotiation' },
  // Scripts
  { long: 'file', short: 'f', value: '<path>', group: 'scripts', modes: ['batch'], complete: 'files',
    help: 'run the commands in FILE, one per line (batch mode; - is stdin)' },
  { long: 'keep-going', group: 'scripts', modes: ['batch'],
    help: 'batch mode: run on after a failing command (exit 1 at the end)' },
  // Events
  { long: 'events', group: 'events', modes: ['events'],
    help: 'print events as NDJSON on stdout until Ctrl-C, --count or --timeout' },
  { long: 'event', value: '<name>', repeatable: true, group: 'events', modes: ['events'], complete: 'events',
    help: 'with --events: only this event (repeatable; globs like BLOCK_JOB_*)' },
  { long: 'count', value: '<n>', group: 'events', modes: ['events'], complete: 'none',
    help: 'with --events: stop after N events (per target)' },
  { long: 'wait-event', value: '<name>', repeatable: true, group: 'events', modes: ['wait-event'], complete: 'events',
    help: 'send COMMAND (if any), then wait for this event and print it (repeatable)' },
  { long: 'match', value: '<path=value>', repeatable: true, group: 'events', modes: ['events', 'wait-event'],
    complete: 'none', help: 'with --wait-event/--events: the event must have this value (repeatable)' },
  // Safety and records
  { long: 'read-only', group: 'safety',
    help: 'refuse commands that can change the VM (allowed: query-*, qom-list, qom-get, qom-list-types, HMP info)' },
  { long: 'log', value: '<file>', group: 'safety', complete: 'files',
    help: 'append every message sent and received to FILE as NDJSON (created 0600; an existing file must be a regular file of yours nobody else can read), secrets masked; qmpsh\'s own look-ups carry "internal": true' },
  { long: 'show-secrets', group: 'safety', help: 'do not mask passwords and secrets in --log and --verbose output' },
  // Schema
  { long: 'no-validate', group: 'schema', modes: ['oneshot', 'batch', 'repl', 'wait-event', 'wait'],
    help: 'send key=value arguments as typed, without checking them against the schema' },
  { long: 'describe', value: '[name]', optionalValue: true, group: 'schema', modes: ['describe'], complete: 'names',
    help: 'describe a command or event from the live schema (TAG=VALUE after the target: one variant); alone, list them all' },
  // Jobs
  { long: 'wait', group: 'jobs', modes: ['wait'],
    help: 'follow the job or migration COMMAND starts, with live progress, to its end' },
  { long: 'complete', group: 'jobs', modes: ['wait'], help: 'with --wait: complete a mirror job when it is ready' },
  { long: 'cancel-on-interrupt', group: 'jobs', modes: ['wait'],
    help: 'with --wait: Ctrl-C cancels the job or migration instead of leaving it running' },
  { long: 'jobs', group: 'jobs', modes: ['jobs'],
    help: 'a live view of every job and the migration, until Ctrl-C (or --until-done)' },
  { long: 'until-done', group: 'jobs', modes: ['jobs'], help: 'with --jobs: end when no job or migration is left' },
  // Targets
  { long: 'parallel', value: '<n>', group: 'targets', fanOutOnly: true, complete: 'none',
    help: 'with several targets: how many at once (default 16)' },
  { long: 'launch', group: 'targets',
    help: 'start QEMU (its command line after --) on a private socket, run COMMAND / the script / the shell, stop it' },
  { long: 'keep', group: 'targets', help: 'with --launch: leave QEMU running and print its socket' },
  { long: 'listen', value: '<path>', group: 'targets', complete: 'files',
    help: 'listen on PATH for a QEMU started with -qmp unix:PATH (QEMU as the client)' },
  // Misc
  { long: 'completion', value: '<shell>', group: 'misc', modes: [], complete: ['bash', 'zsh', 'fish'],
    help: 'print a completion script: eval "$(qmpsh --completion bash)" (or zsh; fish: | source)' },
  { long: 'debug', group: 'misc', ps: true, help: 'show stack traces for errors' },
  { long: 'version', short: 'V', group: 'misc', modes: [], help: 'print the version' },
  { long: 'help', short: 'h', group: 'misc', modes: [], help: 'show this help' },
];

/** The option spec for `--long` (or `-s`). */
export function optionFor(flag: string): OptionSpec | undefined {
  if (/^-[A-Za-z]$/.test(flag)) return OPTIONS.find((o) => o.short === flag.slice(1));
  return OPTIONS.find((o) => `--${o.long}` === flag);
}

/** `--timeout <seconds>`, `-v, --verbose`: as --help and the README show it. */
export function flagsOf(o: OptionSpec): string {
  const value = o.value ? ` ${o.value}` : '';
  return `${o.short ? `-${o.short}, ` : ''}--${o.long}${value}`;
}

/** The camelCase key commander stores an option under (`no-color` -> `color`). */
export function keyOf(o: OptionSpec): string {
  const name = o.long.startsWith('no-') ? o.long.slice(3) : o.long;
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The README's option table (between its `<!-- options -->` markers). */
export function optionsMarkdown(): string {
  const rows = OPTIONS.map((o) => {
    const modes = o.modes === undefined ? (o.fanOutOnly ? 'fan-out' : 'all') : o.modes.length === 0 ? '' : o.modes.join(', ');
    const where = [modes, o.ps ? 'ps' : ''].filter(Boolean).join(', ') || '-';
    const help = o.default !== undefined ? `${o.help} (default ${o.default})` : o.help;
    return `| \`${flagsOf(o)}\` | ${help.replace(/\|/g, '\\|')} | ${where} |`;
  });
  return ['| option | what it does | modes |', '|---|---|---|', ...rows].join('\n');
}
