/**
 * A scripted QMP server on a temp Unix socket, for what a real QEMU will not
 * do on demand: garbage, truncation, silence, odd ids. Every server is closed
 * by the test that made it (use `await using` or call close()).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GREETING = {
  QMP: {
    version: { qemu: { micro: 0, minor: 2, major: 7 }, package: 'fake' },
    capabilities: ['oob'],
  },
};

export interface FakeRequest {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: unknown;
}

export interface FakeConnection {
  socket: net.Socket;
  /** An object is sent as one JSON line ending in \r\n; a string or Buffer as raw bytes. */
  send(message: object | string | Buffer): void;
  greet(): void;
  /** The next request the client sent (requests end with a newline). */
  nextRequest(): Promise<FakeRequest>;
  /** greet() and answer qmp_capabilities. */
  negotiate(): Promise<void>;
  reply(request: FakeRequest, value: unknown): void;
  event(name: string, data?: object): void;
  /** Resolves when the client closes its side. */
  closed: Promise<void>;
}

export interface FakeServer {
  path: string;
  close(): Promise<void>;
  /** Requests seen on all connections, in order. */
  requests: FakeRequest[];
}

export interface FakeServerOptions {
  /**
   * What to answer query-qmp-schema with. By default the server answers it
   * itself with CommandNotFound (so qmpsh falls back to untyped arguments) and
   * the script never sees it. query-target likewise: x86_64 when the schema
   * has it, else CommandNotFound.
   */
  schema?: unknown[] | 'silent';
  /** The script answers query-target itself (a liar that copies a real QEMU's). */
  identity?: boolean;
}

/** query-target's answer for a server of this schema: an emulator's, or CommandNotFound (a storage daemon's). */
function targetOf(schema: FakeServerOptions['schema']): object {
  const has = Array.isArray(schema) && (schema as Array<{ name?: unknown }>).some((e) => e?.name === 'query-target');
  return has ? { return: { arch: 'x86_64' } } : { error: { class: 'CommandNotFound', desc: 'The command query-target has not been found' } };
}

export async function fakeServer(
  script: (conn: FakeConnection) => Promise<void> | void,
  options: FakeServerOptions = {},
): Promise<FakeServer> {
  const dir = mkdtempSync(join(tmpdir(), 'qmpsh-fake-'));
  const path = join(dir, 'fake.sock');
  const sockets = new Set<net.Socket>();
  const requests: FakeRequest[] = [];

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let buffer = '';
    const queue: FakeRequest[] = [];
    const waiters: Array<(r: FakeRequest) => void> = [];
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d) => {
      buffer += d.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const request = JSON.parse(line) as FakeRequest;
        // qmpsh asks what kind of peer this is once a session to key its
        // schema cache (src/cli/core/schema-access.ts): answered here, like the schema.
        if (request.execute === 'query-target' && !options.identity) {
          socket.write(`${JSON.stringify({ ...targetOf(options.schema), id: request.id })}\r\n`);
          continue;
        }
        if (request.execute === 'query-qmp-schema' && options.schema !== 'silent') {
          socket.write(
            `${JSON.stringify(
              options.schema
                ? { return: options.schema, id: request.id }
                : { error: { class: 'CommandNotFound', desc: 'The command query-qmp-schema has not been found' }, id: request.id },
            )}\r\n`,
          );
          continue;
        }
        requests.push(request);
        const waiter = waiters.shift();
        if (waiter) waiter(request);
        else queue.push(request);
      }
    });
    const conn: FakeConnection = {
      socket,
      send(message) {
        if (socket.destroyed) return;
        if (typeof message === 'string' || Buffer.isBuffer(message)) socket.write(message);
        else socket.write(`${JSON.stringify(message)}\r\n`);
      },
      greet() {
        conn.send(GREETING);
      },
      nextRequest() {
        const queued = queue.shift();
        if (queued) return Promise.resolve(queued);
        return new Promise((resolve) => waiters.push(resolve));
      },
      async negotiate() {
        conn.greet();
        const request = await conn.nextRequest();
        if (request.execute !== 'qmp_capabilities') throw new Error(`expected qmp_capabilities, got ${request.execute}`);
        conn.reply(request, {});
      },
      reply(request, value) {
        conn.send({ return: value, ...(request.id !== undefined ? { id: request.id } : {}) });
      },
      event(name, data) {
        conn.send({ event: name, ...(data ? { data } : {}), timestamp: { seconds: 1700000000, microseconds: 1 } });
      },
      closed,
    };
    Promise.resolve(script(conn)).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file: `serve(script)` starts a fake server that is closed after
 * each test. Call at the top level of the file.
 */
export function useFakeServers(afterEach: (fn: () => Promise<void>) => void) {
  let servers: FakeServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  return async function serve(script: (conn: FakeConnection) => Promise<void> | void, options?: FakeServerOptions): Promise<FakeServer> {
    const server = await fakeServer(script, options);
    servers.push(server);
    return server;
  };
}
