/**
 * The only place where the CLI makes a QMP session. Every mode (one-shot,
 * batch, REPL, events, wait-event, wait, jobs, describe, fan-out, launch,
 * listen, ssh, agent) gets its session here, so the cross-cutting options
 * mean the same everywhere: --log and -v (secrets masked unless
 * --show-secrets), --agent, --timeout, --connect-timeout, --wait-socket,
 * --max-message-size, --read-only (held by the gate, core/gate.ts, which reads
 * it from the session) and --no-validate.
 *
 * With several targets each session has a tag (its target): -v lines, event
 * lines, warnings and --log records say which target they belong to.
 */
import { parseAddress } from '../../address.js';
import type { JsonValue } from '../../protocol/json.js';
import type { EventMessage } from '../../protocol/messages.js';
import { QmpClient, type WireMessage } from '../../session.js';
import { compactJson, eventLine, rawText } from '../output/format.js';
import type { Io } from '../output/io.js';
import type { Common } from '../options/decide.js';
import { onCleanup } from './interrupt.js';
import { SchemaAccess } from './schema-access.js';
import type { WireLog } from './wire-log.js';
import { wireMasker } from './wire-mask.js';

/** What every session of one run shares: made once by main(). */
export interface Runtime {
  io: Io;
  common: Common;
  /** --log, opened once (before connecting) for every target. */
  log: WireLog | undefined;
  /** Aborted when the run ends early: SIGINT, SIGTERM, SIGHUP, or stdout closed (core/interrupt.ts). */
  signal: AbortSignal;
}

export interface CliSession {
  client: QmpClient;
  /** The target as given (fan-out tags its output with it). */
  target: string;
  /** The run's signal (Runtime.signal). */
  signal: AbortSignal;
  /** --read-only: the gate refuses what may change the VM. */
  readOnly: boolean;
  /** Types and checks commands by the live schema (unless --no-validate). */
  schema: SchemaAccess;
  /** A wire message as -v and --log may show it: secrets masked (unless --show-secrets), replies that are secrets too. */
  shown(m: WireMessage): WireMessage;
  /** Open + negotiate; after this, --json output starts. */
  open(): Promise<void>;
  close(): void;
}

export interface SessionSettings {
  /** Several targets: prefix what this session prints with its target. */
  tag?: string | undefined;
  /**
   * Events not asked for as data: a line on stderr (default), or not at all
   * (modes whose own output says what the events would).
   */
  events?: 'stderr' | 'none';
  /** --json: every reply and event as received (the negotiation excepted) goes here. */
  json?: ((value: JsonValue) => void) | undefined;
  /** Capabilities to ask for (batch mode asks for oob to pipeline). */
  capabilities?: string[];
  /** The REPL switches -v on and off itself (.verbose). */
  verbose?: boolean;
}

export function openSession(rt: Runtime, target: string, settings: SessionSettings = {}): CliSession {
  const { io, common } = rt;
  const address = parseAddress(target);
  const prefix = tagPrefix(settings.tag);
  const client = new QmpClient(address, {
    connectTimeoutMs: common.connectTimeoutMs,
    commandTimeoutMs: common.timeoutMs,
    maxMessageBytes: common.maxMessageBytes,
    waitForSocketMs: common.waitSocketMs,
    capabilities: common.agent ? [] : (settings.capabilities ?? []),
    agent: common.agent,
    signal: rt.signal,
    // Showing a message failed (data no formatter foresaw): it is shown raw
    // instead, and the session goes on.
    onListenerError: (error, name, payload) => {
      const what = name === 'wire' ? rawText(shownPayload(payload as WireMessage)) : rawText(payload);
      const why = error instanceof Error ? error.message : rawText(error);
      io.warn(`${prefix}could not show ${name === 'event' ? 'an event' : `a ${name} message`} (${why}); as received: ${what}`);
    },
    // A --listen socket file or an ssh master: removed even when the process must go at once.
    registerCleanup: onCleanup,
  });
  // A wire message may hold a secret, or answer a request that reads one: the
  // masker sees each first, before any listener shows it (--log, -v, the REPL's -v).
  const masker = wireMasker(common.showSecrets);
  client.on('wire', (m) => masker.observe(m));
  const shown = (m: WireMessage) => masker.shown(m);
  // Raw means masked raw (unless --show-secrets).
  const shownPayload = (m: WireMessage) => (m && typeof m === 'object' ? shown(m).value : m);
  // A slow reader of our output: stop reading the socket until it catches up (memory stays bounded).
  const unwatch = io.watchBackpressure(
    () => client.pause(),
    () => client.resume(),
  );
  let negotiated = false;
  client.on('warning', (message) => io.warn(`${prefix}${message}`));
  if (rt.log) {
    const log = rt.log;
    client.on('wire', (m) => log.write(shown(m), settings.tag));
  }
  if (settings.verbose ?? common.verbose) client.on('wire', (m) => io.err(`${prefix}${wireLine(shown(m))}`));
  const json = settings.json;
  if (json) {
    client.on('wire', (m) => {
      if (m.direction === 'in' && !m.internal && (negotiated || isEvent(m.value))) json(m.value);
    });
  } else if ((settings.events ?? (common.quiet ? 'none' : 'stderr')) === 'stderr') {
    client.on('event', (event: EventMessage) => io.err(`${prefix}${eventLine(event, io.errPaint)}`));
  }

  const schema = new SchemaAccess(client, {
    validate: common.validate,
    // A guest agent has no query-qmp-schema.
    schemaless: common.agent,
    warn: (message) => io.warn(`${prefix}${message}`),
    note: (message) => {
      if (common.verbose) io.warn(`${prefix}${message}`);
    },
  });

  let closed = false;
  return {
    client,
    target,
    signal: rt.signal,
    readOnly: common.readOnly,
    schema,
    shown,
    async open() {
      await client.open();
      negotiated = true;
    },
    close() {
      if (closed) return;
      closed = true;
      unwatch();
      client.close();
    },
  };
}

/** What a line of one target among several starts with: `[TARGET] ` (nothing for one target). */
export function tagPrefix(tag: string | undefined): string {
  return tag !== undefined ? `[${tag}] ` : '';
}

/** Opens a session, runs `work`, and always closes it. */
export async function withSession<T>(
  rt: Runtime,
  target: string,
  settings: SessionSettings,
  work: (session: CliSession) => Promise<T>,
): Promise<T> {
  const session = openSession(rt, target, settings);
  try {
    return await work(session);
  } finally {
    session.close();
  }
}

/**
 * `-> {...}` for a message sent, `<- {...}` for one received; qmpsh's own
 * look-ups (schema, completion, progress: not what the user asked for) end
 * with `  (qmpsh's own)`, as their --log records carry `"internal": true`.
 */
export function wireLine(m: WireMessage): string {
  return `${m.direction === 'out' ? '->' : '<-'} ${compactJson(m.value)}${m.internal ? `  ${OWN}` : ''}`;
}

/** How -v marks a message of qmpsh's own look-ups. */
export const OWN = "(qmpsh's own)";


function isEvent(value: JsonValue): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'event' in value;
}
