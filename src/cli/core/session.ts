/**
 * One place where the CLI makes its QMP session: options to client options,
 * and the listeners every mode shares (warnings, -v, --json, --log, events,
 * Ctrl-C).
 */
import { parseAddress } from '../address.js';
import type { JsonValue } from '../protocol/json.js';
import type { EventMessage } from '../protocol/messages.js';
import { maskSecrets } from '../secrets.js';
import { QmpClient, type WireMessage } from '../session.js';
import { compactJson, eventLine } from './format.js';
import type { Io } from './io.js';
import type { CliOptions } from './program.js';
import { openWireLog } from './wire-log.js';
import { SchemaAccess } from './schema-access.js';

export interface CliSession {
  client: QmpClient;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Types and checks commands by the live schema (unless --no-validate). */
  schema: SchemaAccess;
  /** Open + negotiate; after this, --json output starts. */
  open(): Promise<void>;
  close(): void;
}

export interface SessionOutput {
  /** How events are shown when not --json: a line on stderr (default), or not at all. */
  events?: 'stderr' | 'none';
  /** Capabilities to ask for (batch mode asks for oob to pipeline). */
  capabilities?: string[];
}

export function cliSession(options: CliOptions, io: Io, output: SessionOutput = {}): CliSession {
  const address = parseAddress(options.target);
  const log = options.log ? openWireLog(options.log) : undefined;
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.on('SIGINT', onSigint);

  const client = new QmpClient(address, {
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.timeoutMs,
    maxMessageBytes: options.maxMessageBytes,
    waitForSocketMs: options.waitSocketMs,
    capabilities: output.capabilities ?? [],
    agent: options.agent,
    signal: interrupt.signal,
  });
  let negotiated = false;
  client.on('warning', (message) => io.warn(message));
  // --log and --verbose never show secrets unless --show-secrets (maskSecrets says which).
  const shown = (m: WireMessage) => displayedWire(m, options.showSecrets);
  if (log) client.on('wire', (m) => log.write(shown(m)));
  if (options.verbose) {
    client.on('wire', (m) => io.err(wireLine(shown(m))));
  }
  if (options.json) {
    // Every reply and event as received, in wire order (the negotiation excepted).
    client.on('wire', (m) => {
      if (m.direction === 'in' && !m.internal && (negotiated || isEvent(m.value))) io.out(compactJson(m.value));
    });
  } else if (output.events !== 'none') {
    client.on('event', (event: EventMessage) => io.err(eventLine(event, io.errPaint)));
  }

  const schema = new SchemaAccess(client, {
    // A guest agent has no query-qmp-schema.
    validate: options.validate && !options.agent,
    warn: (message) => io.warn(message),
    note: (message) => {
      if (options.verbose) io.warn(message);
    },
  });

  let closed = false;
  return {
    client,
    signal: interrupt.signal,
    schema,
    async open() {
      await client.open();
      negotiated = true;
    },
    close() {
      if (closed) return;
      closed = true;
      process.off('SIGINT', onSigint);
      client.close();
      log?.close();
    },
  };
}

/** `-> {...}` for a message sent, `<- {...}` for one received. */
export function wireLine(m: WireMessage): string {
  return `${m.direction === 'out' ? '->' : '<-'} ${compactJson(m.value)}`;
}

/** The message as --verbose may show it. */
export function displayedWire(m: WireMessage, showSecrets: boolean): WireMessage {
  return showSecrets ? m : { ...m, value: maskSecrets(m.value) };
}

function isEvent(value: JsonValue): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'event' in value;
}
