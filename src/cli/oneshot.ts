/** `qmpsh TARGET COMMAND [key=value ...]` and `qmpsh TARGET --hmp CMDLINE`. */
import { parseAddress } from '../address.js';
import { UsageError } from '../errors.js';
import { runHmp } from '../hmp.js';
import type { JsonValue } from '../protocol/json.js';
import { parseRequest } from '../shell/parse.js';
import { QmpClient } from '../session.js';
import { compactJson, eventLine, prettyJson } from './format.js';
import type { Io } from './io.js';
import type { CliOptions } from './program.js';

export async function runOneShot(options: CliOptions, io: Io): Promise<void> {
  // Everything the user typed is checked before connecting: bad input sends nothing.
  const address = parseAddress(options.target);
  let request: ReturnType<typeof parseRequest> | undefined;
  if (options.hmp === undefined) {
    if (options.command === undefined) {
      throw new UsageError(
        'no COMMAND given: name a QMP command (e.g. query-status), or use --hmp CMDLINE',
      );
    }
    request = parseRequest(options.command, options.args, options.argsJson);
  } else if (options.args.length > 0) {
    throw new UsageError('--hmp takes its whole command line as one quoted argument');
  }

  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.on('SIGINT', onSigint);

  let handshakeDone = false;
  const client = new QmpClient(address, {
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.timeoutMs,
    maxMessageBytes: options.maxMessageBytes,
    signal: interrupt.signal,
  });
  client.on('warning', (message) => io.warn(message));
  if (options.verbose) {
    client.on('wire', (m) => io.err(`${m.direction === 'out' ? '->' : '<-'} ${compactJson(m.value)}`));
  }
  if (options.json) {
    // Every reply and event as received, in wire order (the negotiation excepted).
    client.on('wire', (m) => {
      if (m.direction === 'in' && (handshakeDone || isEvent(m.value))) io.out(compactJson(m.value));
    });
  } else {
    client.on('event', (event) => io.err(eventLine(event, io.errPaint)));
  }

  try {
    await client.open();
    handshakeDone = true;
    if (request) {
      const value = await client.execute(request.execute, request.arguments, {
        signal: interrupt.signal,
      });
      if (!options.json) io.out(formatValue(value, options, io));
    } else {
      const text = await runHmp(client, options.hmp as string, { signal: interrupt.signal });
      if (!options.json) io.outRaw(text);
    }
  } finally {
    process.off('SIGINT', onSigint);
    client.close();
  }
}

function isEvent(value: JsonValue): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'event' in value;
}

function formatValue(value: JsonValue, options: CliOptions, io: Io): string {
  const pretty = options.pretty ?? io.stdoutIsTTY;
  return pretty ? prettyJson(value, io.outPaint) : compactJson(value);
}
