/**
 * The command line, decided once: options (as given, keyed by the option
 * table) and positional words -> one Invocation. Every mode receives only its
 * own options; an option given where it means nothing is refused here, before
 * anything connects (exit 2), never silently ignored.
 */
import { parseAddress } from '../../address.js';
import { UsageError } from '../../errors.js';
import { parseMatch, type EventFilter } from '../../events.js';
import { FOLLOWED_COMMANDS, followedAfter } from '../../jobs/model.js';
import { parseCommand, type QmpCall } from '../../shell/parse.js';
import type { Action } from '../core/action.js';
import { check } from '../core/read-only.js';
import { OPTIONS, flagsOf, type ModeKind, type OptionSpec } from './table.js';
import { decidePs, type PsRequest } from './decide-ps.js';
import { isGlobTarget, isSocket, resolveTargets } from './targets.js';

/** Cross-cutting settings: every mode that connects honours them (core/session.ts). */
export interface Common {
  connectTimeoutMs: number;
  timeoutMs: number;
  /** --timeout was given (not the default): waits (--events, --wait-event, --wait) use it as a deadline. */
  timeoutGiven: boolean;
  maxMessageBytes: number;
  waitSocketMs: number;
  verbose: boolean;
  /** -q: events are not shown as lines on stderr. */
  quiet: boolean;
  debug: boolean;
  log: string | undefined;
  showSecrets: boolean;
  readOnly: boolean;
  agent: boolean;
  /** false with --no-validate. */
  validate: boolean;
  color: boolean;
}

/** How a JSON value is printed: indented on a terminal unless said otherwise. */
export interface ValueFormat {
  json: boolean;
  pretty: boolean | undefined;
  table: boolean;
}

export type Mode =
  | { kind: 'oneshot'; action: Action; format: ValueFormat }
  | { kind: 'batch'; file: string | undefined; keepGoing: boolean; json: boolean }
  | { kind: 'repl'; pretty: boolean | undefined }
  | { kind: 'events'; filter: EventFilter; count: number | undefined }
  | { kind: 'wait-event'; filter: EventFilter; action: Action | undefined; format: ValueFormat }
  /** No --json: the final state is JSON already, and the wire is --log's and -v's. */
  | { kind: 'wait'; call: QmpCall; complete: boolean; cancelOnInterrupt: boolean; format: Pick<ValueFormat, 'pretty'> }
  | { kind: 'jobs'; untilDone: boolean; json: boolean }
  | { kind: 'describe'; name: string; /** key=value words: a union's tag (driver=qcow2) picks its variant. */ select: string[] };

export type Targets =
  /** As typed (or $QMPSH_TARGET). Several, or a glob: fan-out. */
  | { kind: 'given'; words: string[]; fanOut: boolean; parallel: number }
  /** --launch: QEMU's command line after `--`. */
  | { kind: 'launch'; argv: string[]; keep: boolean }
  /** --listen PATH: QEMU connects to us. */
  | { kind: 'listen'; path: string };

export type { PsRequest };

export type Invocation =
  | { kind: 'run'; mode: Mode; targets: Targets; common: Common }
  | { kind: 'ps'; ps: PsRequest; common: Common }
  | { kind: 'completion'; shell: string };

/** Options as given on the command line, by their table name ('timeout', 'no-color'). */
export type Given = ReadonlyMap<string, string | boolean | string[]>;

export interface DecideContext {
  env: NodeJS.ProcessEnv;
  /** Whether stdin is a terminal: no COMMAND then means the REPL, else a script. */
  stdinIsTTY: boolean;
  /** QEMU's command line after `--` (only with --launch). */
  launchArgv?: string[] | undefined;
}

/** Fan-out: targets at once, unless --parallel says otherwise. */
export const DEFAULT_PARALLEL = 16;

/** Modes chosen by a flag; at most one may be given. */
const MODE_FLAGS: ReadonlyArray<[string, ModeKind]> = [
  ['events', 'events'],
  ['wait-event', 'wait-event'],
  ['wait', 'wait'],
  ['jobs', 'jobs'],
  ['describe', 'describe'],
];

const MODE_NAMES: Record<ModeKind, string> = {
  oneshot: 'a one-shot COMMAND',
  batch: 'a script (-f FILE or stdin)',
  repl: 'the interactive shell',
  events: '--events',
  'wait-event': '--wait-event',
  wait: '--wait',
  jobs: '--jobs',
  describe: '--describe',
};

export function decide(given: Given, positionals: readonly string[], ctx: DecideContext): Invocation {
  const flag = (name: string) => given.get(name) === true;
  const text = (name: string) => {
    const v = given.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const list = (name: string) => {
    const v = given.get(name);
    return Array.isArray(v) ? v : [];
  };

  const shell = text('completion');
  if (shell !== undefined) {
    const others = [...given.keys()].filter((k) => k !== 'completion');
    if (others.length || positionals.length) {
      throw new UsageError(`--completion prints a script and takes nothing else (not --${others[0] ?? positionals[0]})`);
    }
    if (!['bash', 'zsh', 'fish'].includes(shell)) throw new UsageError(`no completion for '${shell}': bash, zsh or fish`);
    return { kind: 'completion', shell };
  }

  // `qmpsh ps`: no QMP command is called so (a socket named ps is still a target).
  if (positionals[0] === 'ps' && !isSocket('ps')) return { kind: 'ps', ps: decidePs(given, positionals.slice(1)), common: commonOf(given) };

  // Where the targets come from.
  const launch = flag('launch');
  const listen = text('listen');
  if (launch && listen !== undefined) throw new UsageError('give either --launch or --listen, not both');
  if (flag('keep') && !launch) throw new UsageError('--keep applies to --launch only');
  if (launch && !ctx.launchArgv?.length) {
    throw new UsageError(
      "--launch needs QEMU's command line after --, e.g. qmpsh --launch query-status -- qemu-system-x86_64 -M none",
    );
  }
  // A daemonized QEMU forks away from us: we could neither stop it nor see it die.
  const daemonize = launch ? ctx.launchArgv?.find((a) => /^--?daemonize$/.test(a)) : undefined;
  if (daemonize) {
    throw new UsageError(
      `--launch runs QEMU as its child and stops it afterwards; ${daemonize} would leave it running unseen: leave it out (--keep keeps QEMU running)`,
    );
  }
  let targets: Targets;
  let words: string[];
  if (launch) {
    targets = { kind: 'launch', argv: ctx.launchArgv as string[], keep: flag('keep') };
    words = [...positionals];
  } else if (listen !== undefined) {
    parseAddress(`listen:${listen}`);
    targets = { kind: 'listen', path: listen };
    words = [...positionals];
  } else {
    const resolved = resolveTargets(positionals, ctx.env);
    const fanOut = resolved.targets.length > 1 || resolved.targets.some(isGlobTarget);
    targets = { kind: 'given', words: resolved.targets, fanOut, parallel: positiveInt('--parallel', text('parallel'), DEFAULT_PARALLEL) };
    // Bad input is found before anything connects.
    // (`@NAME` is looked up later, among the host's QEMUs: core/names.ts.)
    for (const t of resolved.targets) if (!isGlobTarget(t) && !/^(ssh:\/\/[^/]*\/)?@/.test(t)) parseAddress(t);
    words = resolved.rest;
  }
  const fanOut = targets.kind === 'given' && targets.fanOut;
  const [command, ...args] = words;

  // The mode.
  const chosen = MODE_FLAGS.filter(([name]) => given.has(name));
  if (chosen.length > 1) {
    throw new UsageError(`${chosen.map(([n]) => `--${n}`).join(' and ')} are different modes: give one`);
  }
  const hmp = text('hmp');
  if (hmp !== undefined && command !== undefined) throw new UsageError('give either --hmp CMDLINE or a COMMAND, not both');
  if (hmp !== undefined && given.has('args')) throw new UsageError('--args does not apply to --hmp');
  const kind: ModeKind =
    chosen[0]?.[1] ??
    (command !== undefined || hmp !== undefined
      ? 'oneshot'
      : given.has('file') || !ctx.stdinIsTTY || fanOut
        ? 'batch'
        : 'repl');

  if (kind === 'jobs' && given.has('parallel')) {
    throw new UsageError('--parallel does not apply to --jobs: its view holds every target\'s monitor at once, for as long as it runs');
  }
  if (kind === 'wait' && given.has('json')) {
    // Its one reply is not what --wait prints; every poll's reply and event on stdout would bury the final state.
    throw new UsageError(
      "--json does not apply to --wait: its final state is JSON already (one line when stdout is not a terminal, or with --compact) and its progress NDJSON on stderr; every message on the wire: --log FILE or -v",
    );
  }
  // Every option given must mean something here.
  for (const name of given.keys()) {
    const spec = OPTIONS.find((o) => o.long === name) as OptionSpec;
    if (spec.fanOutOnly && !fanOut) throw new UsageError(`${flagsOf(spec)} applies only with several targets or a glob`);
    if (spec.modes && !spec.modes.includes(kind)) {
      throw new UsageError(
        `--${spec.long} does not apply to ${MODE_NAMES[kind]}` +
          (spec.modes.length || spec.ps
            ? ` (it applies to: ${[...spec.modes.map((m) => MODE_NAMES[m]), ...(spec.ps ? ['qmpsh ps'] : [])].join(', ')})`
            : ''),
      );
    }
  }
  if (given.has('pretty') && given.has('compact')) throw new UsageError('give either --pretty or --compact, not both');
  if (given.has('json') && (given.has('pretty') || given.has('compact'))) {
    throw new UsageError('--json prints each message on one line as received: give no --pretty or --compact with it');
  }
  if (hmp !== undefined) {
    // HMP answers in text: nothing to indent, nothing the schema types.
    for (const name of ['pretty', 'compact', 'no-validate', 'agent']) {
      if (given.has(name)) {
        throw new UsageError(
          name === 'agent' ? '--hmp: a guest agent has no human monitor' : `--${name} does not apply to --hmp (its output is text)`,
        );
      }
    }
  }
  if (given.has('show-secrets') && !given.has('log') && !given.has('verbose') && kind !== 'repl') {
    throw new UsageError('--show-secrets applies to what --log and -v show: give one of them with it');
  }
  if (given.has('table') && (given.has('json') || given.has('pretty') || given.has('compact'))) {
    throw new UsageError('--table is its own output format: give no --json, --pretty or --compact with it');
  }
  if (kind === 'repl' && fanOut) {
    throw new UsageError('with several targets, give a COMMAND or a script (-f FILE, or on stdin): the interactive shell takes one');
  }
  if (kind === 'repl' && launch && flag('keep')) {
    // fine: the shell runs, QEMU stays
  }

  const common = commonOf(given);
  const format: ValueFormat = {
    json: flag('json'),
    pretty: flag('pretty') ? true : flag('compact') ? false : undefined,
    table: flag('table'),
  };
  const filterOf = (names: string[]): EventFilter => ({ names, matches: list('match').map(flagged('--match', parseMatch)) });
  const actionOf = (): Action | undefined => {
    if (hmp !== undefined) return { kind: 'hmp', commandLine: hmp };
    if (command === undefined) return undefined;
    const argsJson = text('args');
    // The arguments object is parsed first: its errors are --args's.
    if (argsJson !== undefined) flagged('--args', () => parseCommand('qmp_capabilities', [], argsJson))();
    return { kind: 'qmp', call: parseCommand(command, args, argsJson) };
  };
  const noCommand = (what: string) => {
    if (command !== undefined || hmp !== undefined) throw new UsageError(`${what}: give no COMMAND or --hmp with it`);
  };

  let mode: Mode;
  switch (kind) {
    case 'oneshot':
      mode = { kind, action: actionOf() as Action, format };
      break;
    case 'batch': {
      const file = text('file');
      if (file !== undefined && (command !== undefined || hmp !== undefined)) {
        throw new UsageError('give either -f FILE or a COMMAND, not both');
      }
      mode = { kind, file: file === '-' ? undefined : file, keepGoing: flag('keep-going'), json: flag('json') };
      break;
    }
    case 'repl':
      mode = { kind, pretty: format.pretty };
      break;
    case 'events': {
      noCommand('--events streams events only');
      const count = text('count') === undefined ? undefined : positiveInt('--count', text('count'), 1);
      mode = { kind, filter: filterOf(list('event')), count };
      break;
    }
    case 'wait-event':
      mode = { kind, filter: filterOf(list('wait-event')), action: actionOf(), format };
      break;
    case 'wait': {
      const action = actionOf();
      if (action?.kind !== 'qmp') throw new UsageError('--wait needs a COMMAND that starts a job or a migration');
      // What a command starts is a fixed list: anything else is refused here, not after connecting.
      if (!followedAfter(action.call.execute)) refuseWait(action.call.execute);
      mode = { kind, call: action.call, complete: flag('complete'), cancelOnInterrupt: flag('cancel-on-interrupt'), format: { pretty: format.pretty } };
      break;
    }
    case 'jobs':
      noCommand('--jobs shows the jobs that run');
      mode = { kind, untilDone: flag('until-done'), json: flag('json') };
      break;
    case 'describe': {
      const name = given.get('describe');
      // `--describe blockdev-add driver=qcow2`: words after the target pick a variant.
      const select = words.filter((w) => w.includes('='));
      if (select.length !== words.length || hmp !== undefined || (select.length > 0 && typeof name !== 'string')) {
        noCommand('--describe reads the schema (--describe NAME [TAG=VALUE] shows one variant)');
      }
      mode = { kind, name: typeof name === 'string' ? name : '', select };
      break;
    }
  }
  if (common.agent && targets.kind !== 'given') {
    throw new UsageError(`--agent talks to a guest agent's socket: --${targets.kind} gives a QEMU monitor`);
  }
  // --read-only refuses before connecting; the gate checks again at sending.
  const action = mode.kind === 'oneshot' || mode.kind === 'wait-event' ? mode.action : mode.kind === 'wait' ? ({ kind: 'qmp', call: mode.call } as Action) : undefined;
  if (action) check(action, common.readOnly);
  return { kind: 'run', mode, targets, common };
}

/** --wait with a command that starts no job and no migration (also a whole JSON request's "execute"). */
export function refuseWait(command: string): never {
  throw new UsageError(`--wait follows the job or migration its COMMAND starts, and '${command}' starts neither: --wait follows ${FOLLOWED_COMMANDS.join(', ')}`);
}

/** The library's error, said as the option's. */
function flagged<A extends unknown[], R>(flag: string, parse: (...a: A) => R): (...a: A) => R {
  return (...a) => {
    try {
      return parse(...a);
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`${flag}: ${err.message}`, { cause: err });
      throw err;
    }
  };
}

function commonOf(given: Given): Common {
  const value = (name: string): string => {
    const v = given.get(name);
    if (typeof v === 'string') return v;
    return OPTIONS.find((o) => o.long === name)?.default as string;
  };
  const waitSocket = given.get('wait-socket');
  return {
    connectTimeoutMs: seconds('--connect-timeout', value('connect-timeout')),
    timeoutMs: seconds('--timeout', value('timeout')),
    timeoutGiven: given.has('timeout'),
    maxMessageBytes: byteSize('--max-message-size', value('max-message-size')),
    waitSocketMs: typeof waitSocket === 'string' ? seconds('--wait-socket', waitSocket) : 0,
    verbose: given.get('verbose') === true,
    quiet: given.get('quiet') === true,
    debug: given.get('debug') === true,
    log: typeof given.get('log') === 'string' ? (given.get('log') as string) : undefined,
    showSecrets: given.get('show-secrets') === true,
    readOnly: given.get('read-only') === true,
    agent: given.get('agent') === true,
    validate: !given.has('no-validate'),
    color: !given.has('no-color'),
  };
}

function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag} wants a whole number (1 or more), not '${text}'`);
  }
  return n;
}

/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer one would fire at once. */
const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Seconds as a plain decimal: `10`, `0.5`, `.5`. No sign, exponent, hex (`0x10`), `Infinity` or blanks. */
const SECONDS = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * --timeout, --connect-timeout, --wait-socket: seconds -> ms (0 = no limit;
 * for --wait-socket, its default, 0 = do not wait).
 * Number() alone took `0x10` as 16 and `1e3` as 1000; and 0.0009 rounded up
 * to 1 ms although the message for smaller values asks for 0.001 or more.
 */
/** What 0 means for a duration flag: no limit, or (--wait-socket) no wait at all. */
const zeroMeans = (flag: string) => (flag === '--wait-socket' ? '0 = do not wait' : '0 = no limit');

function seconds(flag: string, text: string): number {
  if (!SECONDS.test(text)) {
    throw new UsageError(`${flag} wants a number of seconds as a plain decimal (e.g. 10 or 0.5; ${zeroMeans(flag)}), not '${text}'`);
  }
  const n = Number(text);
  if (n > MAX_SECONDS) throw new UsageError(`${flag} ${text} is too long: at most ${MAX_SECONDS} seconds (${zeroMeans(flag)})`);
  // 0.0004 would round to 0, which means "no limit": the opposite of what was asked; 0.0009 is not a millisecond either.
  if (n > 0 && n * 1000 < 1) throw new UsageError(`${flag} ${text} is below a millisecond: give 0.001 or more (${zeroMeans(flag)})`);
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
