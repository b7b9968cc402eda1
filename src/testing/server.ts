/**
 * `qmpsh/testing`: a scripted QMP server for your tests, on a temporary Unix
 * socket. It behaves as QEMU's monitor does (qmp-spec; QMP-NOTES "Session"):
 * greeting first, `CommandNotFound` "Expecting capabilities negotiation"
 * until `qmp_capabilities`, replies carry the request's id, an unknown
 * command is CommandNotFound, a request it cannot parse gets an error
 * without an id, events only after negotiation. What it answers is yours:
 * one handler per command.
 *
 *     await using server = await createQmpServer({
 *       commands: { 'query-status': () => ({ status: 'running', running: true }) },
 *     });
 *     await using client = await connect(server.path);
 *
 * Unlike QEMU's monitor it serves several clients at once. It is for tests:
 * it trusts its peer and keeps every request it gets (`requests`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFramer } from '../protocol/framing.js';
import { parseJson, stringifyJson, type JsonValue } from '../protocol/json.js';
import { isObject, type JsonObject, type Request } from '../protocol/messages.js';

/** Thrown by a handler: the client gets `{"error": {"class", "desc"}}`. */
export class QmpServerError extends Error {
  constructor(
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`${errorClass}: ${desc}`);
    this.name = 'QmpServerError';
  }
}

/** Returned by a handler: send no reply at all (a QEMU that hangs on this command). */
export const NO_REPLY: unique symbol = Symbol('qmpsh.testing.NO_REPLY');

export interface HandlerContext {
  /** The request as received (with its id). */
  request: Request;
  /** Sends an event to this client now (before the reply, as QEMU's `stop` sends STOP). */
  event(name: string, data?: JsonObject): void;
  /** Sends raw text or a message to this client (for malformed or odd output). */
  send(message: JsonValue | string): void;
  /** Hangs up on this client (after the reply, if the handler returns one). */
  hangUp(): void;
}

export type CommandHandler = (
  args: JsonObject,
  context: HandlerContext,
) => JsonValue | typeof NO_REPLY | Promise<JsonValue | typeof NO_REPLY>;

export interface QmpServerOptions {
  /** Command name -> what it returns. Others get CommandNotFound (`quit` is built in unless given). */
  commands?: Record<string, CommandHandler>;
  /** The version in the greeting (default 7.2.0). */
  version?: { major: number; minor: number; micro: number };
  /** Capabilities offered in the greeting (default ["oob"]). */
  capabilities?: string[];
  /** Socket path (default: a fresh temporary directory, removed by close()). */
  path?: string;
}

export interface QmpServer extends AsyncDisposable {
  /** Where clients connect: give it to connect(). */
  readonly path: string;
  /** Every request received after negotiation, from every client, in order. */
  readonly requests: Request[];
  /** Clients connected now. */
  readonly connections: number;
  /** Sends an event to every negotiated client. */
  event(name: string, data?: JsonObject): void;
  /** Resolves with the next request received after negotiation (or one already received and not yet taken). */
  nextRequest(): Promise<Request>;
  /** Resolves when a client has connected and negotiated (at once if one has). */
  negotiated(): Promise<void>;
  /** Disconnects every client, stops listening and removes the temporary socket. */
  close(): Promise<void>;
}

export async function createQmpServer(options: QmpServerOptions = {}): Promise<QmpServer> {
  const dir = options.path ? undefined : mkdtempSync(join(tmpdir(), 'qmpsh-test-'));
  const path = options.path ?? join(dir as string, 'qmp.sock');
  const handlers: Record<string, CommandHandler> = { quit: quitHandler, ...options.commands };
  const greeting = {
    QMP: {
      version: { qemu: options.version ?? { major: 7, minor: 2, micro: 0 }, package: 'qmpsh-testing' },
      capabilities: options.capabilities ?? ['oob'],
    },
  };
  const sockets = new Set<net.Socket>();
  const ready = new Set<net.Socket>();
  const requests: Request[] = [];
  let taken = 0;
  const requestWaiters: Array<(r: Request) => void> = [];
  const negotiationWaiters: Array<() => void> = [];

  const write = (socket: net.Socket, message: JsonValue | string) => {
    if (!socket.destroyed) socket.write(typeof message === 'string' ? message : `${stringifyJson(message)}\r\n`);
  };
  const eventMessage = (name: string, data?: JsonObject): JsonObject => {
    const now = Date.now();
    const timestamp = { seconds: Math.floor(now / 1000), microseconds: (now % 1000) * 1000 };
    return { event: name, ...(data ? { data } : {}), timestamp };
  };
  const received = (request: Request) => {
    requests.push(request);
    const waiter = requestWaiters.shift();
    if (waiter) {
      taken++;
      waiter(request);
    }
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      ready.delete(socket);
    });
    const framer = new JsonFramer();
    // One request at a time, in order, as QEMU's monitor without OOB.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let texts: string[];
      try {
        texts = framer.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const text of texts) {
        queue = queue.then(() => handle(socket, text)).catch(() => {
          socket.destroy();
        });
      }
    });
    write(socket, greeting as unknown as JsonValue);
  });

  async function handle(socket: net.Socket, text: string): Promise<void> {
    let value: JsonValue;
    try {
      value = parseJson(text);
    } catch {
      // qmp-spec: a request that cannot be parsed gets an error without an id.
      write(socket, { error: { class: 'GenericError', desc: 'JSON parse error' } });
      return;
    }
    if (!isObject(value) || typeof value.execute !== 'string' || Object.keys(value).some((k) => !['execute', 'arguments', 'id'].includes(k))) {
      write(socket, { error: { class: 'GenericError', desc: 'QMP input member or command is invalid' } });
      return;
    }
    const request = value as unknown as Request;
    const withId = (reply: JsonObject): JsonObject => (request.id !== undefined ? { ...reply, id: request.id } : reply);
    const error = (cls: string, desc: string) => write(socket, withId({ error: { class: cls, desc } }));
    if (!ready.has(socket)) {
      if (request.execute !== 'qmp_capabilities') return error('CommandNotFound', 'Expecting capabilities negotiation with \'qmp_capabilities\'');
      write(socket, withId({ return: {} }));
      ready.add(socket);
      negotiationWaiters.splice(0).forEach((w) => w());
      return;
    }
    received(request);
    if (request.execute === 'qmp_capabilities') return error('CommandNotFound', 'Capabilities negotiation is already complete, command ignored');
    const handler = Object.hasOwn(handlers, request.execute) ? handlers[request.execute] : undefined;
    if (!handler) return error('CommandNotFound', `The command ${request.execute} has not been found`);
    let hangUp = false;
    const context: HandlerContext = {
      request,
      event: (name, data) => write(socket, eventMessage(name, data)),
      send: (message) => write(socket, message),
      hangUp: () => {
        hangUp = true;
      },
    };
    try {
      const result = await handler(request.arguments ?? {}, context);
      if (result !== NO_REPLY) write(socket, withId({ return: result }));
    } catch (err) {
      if (err instanceof QmpServerError) error(err.errorClass, err.desc);
      else error('GenericError', err instanceof Error ? err.message : String(err));
    }
    if (hangUp) socket.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  return {
    path,
    requests,
    get connections() {
      return sockets.size;
    },
    event(name, data) {
      for (const s of ready) write(s, eventMessage(name, data));
    },
    nextRequest() {
      const next = requests[taken];
      if (next) {
        taken++;
        return Promise.resolve(next);
      }
      return new Promise((resolve) => requestWaiters.push(resolve));
    },
    negotiated() {
      if (ready.size > 0) return Promise.resolve();
      return new Promise((resolve) => negotiationWaiters.push(resolve));
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** QEMU's quit (seen on 7.2): SHUTDOWN, then the reply, then EOF. */
const quitHandler: CommandHandler = (_args, context) => {
  context.event('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
  context.hangUp();
  return {};
};
