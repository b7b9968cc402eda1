/**
 * The command line -> a plain options object. commander defines and parses it
 * (cli/commander.ts), loaded only when needed: the common one-shot form
 * `qmpsh TARGET COMMAND key=value ...` has no option at all, and takes the
 * fast path below with the same defaults. Both paths end in toCliOptions.
 */
import { UsageError } from '../errors.js';

export interface CliOptions {
  /** The first target (the only one, unless several are given). */
  target: string;
  /** Every target given (globs not yet expanded): more than one means fan-out. */
  targets: string[];
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
  showSecrets: boolean;
  /** false with --no-validate: send key=value as typed, without the schema. */
  validate: boolean;
  /** --describe [NAME]: '' lists everything. */
  describe: string | undefined;
  /** --completion SHELL: print the completion script. */
  completion: string | undefined;
  /** --wait: follow the job or migration the command starts. */
  wait: boolean;
  /** --complete: with --wait, complete a mirror when it is ready. */
  complete: boolean;
  cancelOnInterrupt: boolean;
  /** --jobs: a live view of every job and the migration. */
  jobs: boolean;
  untilDone: boolean;
  /** Fan-out: targets at once (default 16). */
  parallel: number;
  /** Fan-out: an aligned table, one row per target. */
  table: boolean;
  /** --launch: QEMU's command line (everything after `--`). */
  launch: string[] | undefined;
  /** --keep: with --launch, leave QEMU running. */
  keep: boolean;
  /** --agent: the target is a qemu-ga socket. */
  agent: boolean;
}

/** Help and --version were printed: nothing else to do. */
export class HelpShown {
  constructor(readonly exitCode: number) {}
}

/** Options as commander gives them (strings as typed). */
export interface RawOptions {
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
    showSecrets?: boolean;
    validate?: boolean;
    describe?: string | true;
    completion?: string;
    wait?: boolean;
    complete?: boolean;
    cancelOnInterrupt?: boolean;
    jobs?: boolean;
    untilDone?: boolean;
    parallel?: string;
    table?: boolean;
    listen?: string;
    launch?: boolean;
    /** Not an option: QEMU's argv after `--`, set by the parser when --launch is given. */
    launchArgv?: string[];
    keep?: boolean;
    agent?: boolean;
}

/** Defaults, shared with the commander definition. */
export const DEFAULTS = {
  connectTimeout: '5',
  timeout: '60',
  maxMessageSize: '64M',
} as const;

export async function parseCommandLine(
  argv: readonly string[],
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliOptions | HelpShown> {
  const words = argv.slice(2);
  if (words.every((w) => !w.startsWith('-'))) {
    const raw: RawOptions = {
      ...DEFAULTS,
      color: true,
      event: [],
      waitEvent: [],
      match: [],
    };
    return toCliOptions(raw, words, false, env);
  }
  const { parseWithCommander } = await import('./commander.js');
  return parseWithCommander(argv, version, env);
}

export function toCliOptions(
  o: RawOptions,
  positionals: readonly string[],
  timeoutGiven: boolean,
  env: NodeJS.ProcessEnv,
): CliOptions {
  const [first, second, ...rest] = positionals;
  // --launch and --listen name no TARGET: every word is the command and its arguments.
  const implied = o.launch ? 'launch:' : o.listen !== undefined ? `listen:${o.listen}` : undefined;
  if (o.launch && !o.launchArgv?.length) {
    throw new UsageError('--launch needs QEMU\'s command line after --, e.g. qmpsh --launch query-status -- qemu-system-x86_64 -M none');
  }
  const [targets, command, args] =
    o.completion !== undefined
      ? ([[''], undefined, []] as [string[], undefined, string[]])
      : implied
        ? ([[implied], first, [second, ...rest].filter((w): w is string => w !== undefined)] as [string[], string | undefined, string[]])
        : resolveTargets([first, second, ...rest], env);
  const target = targets[0] as string;
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
    targets,
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
    timeoutGiven,
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
    showSecrets: Boolean(o.showSecrets),
    validate: o.validate !== false,
    describe: o.describe === true ? '' : o.describe,
    completion: o.completion,
    wait: Boolean(o.wait),
    complete: Boolean(o.complete),
    cancelOnInterrupt: Boolean(o.cancelOnInterrupt),
    jobs: Boolean(o.jobs),
    untilDone: Boolean(o.untilDone),
    parallel: positiveInt('--parallel', o.parallel, DEFAULT_PARALLEL),
    table: Boolean(o.table),
    launch: o.launchArgv,
    keep: Boolean(o.keep),
    agent: Boolean(o.agent),
  };
}

const HOST_PORT_LIKE = /^(\[[0-9A-Fa-f:.%\w-]+\]|[A-Za-z0-9._-]+):\d+$/;

/** Does this word name a target rather than a command? Command names hold no '/' or ':'. */
function looksLikeTarget(word: string): boolean {
  if (word.startsWith('{')) return false;
  return word.includes('/') || /^(unix|tcp|ssh):/.test(word) || HOST_PORT_LIKE.test(word);
}

/**
 * With $QMPSH_TARGET set, the TARGET may be left out: then the first word is
 * the command. A first word that looks like a target still is one.
 */
function resolveTargets(
  words: Array<string | undefined>,
  env: NodeJS.ProcessEnv,
): [string[], string | undefined, string[]] {
  const given = words.filter((w): w is string => w !== undefined);
  const fallback = env.QMPSH_TARGET;
  const [first] = given;
  if (first === undefined || (fallback && !looksLikeTarget(first))) {
    if (!fallback) throw new UsageError('no TARGET given: name a QMP socket (or host:port), or set QMPSH_TARGET');
    return [[fallback], given[0], given.slice(1)];
  }
  // More targets may follow the first (fan-out): words that look like targets, not key=value.
  let i = 1;
  while (i < given.length && looksLikeTarget(given[i] as string) && !/^[^/]*=/.test(given[i] as string)) i++;
  return [given.slice(0, i), given[i], given.slice(i + 1)];
}

/** Fan-out: targets at once, unless --parallel says otherwise. */
export const DEFAULT_PARALLEL = 16;

/** Several targets, or a glob: the same command on each (cli/fanout.ts). */
export function isFanOut(options: CliOptions): boolean {
  return options.targets.length > 1 || options.targets.some((t) => /[*?[]/.test(t));
}

function positiveInt(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} wants a whole number (1 or more), not '${text}'`);
  return n;
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
