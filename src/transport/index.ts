/**
 * The only module that touches node:net. A transport is a connected byte
 * stream with three callbacks; the session above it knows nothing of sockets.
 */
import fs from 'node:fs';
import net from 'node:net';
import { formatAddress, type Address } from '../address.js';
import { ConnectError, InterruptedError, MonitorBusyError, type QmpError } from '../errors.js';

export interface Transport {
  write(data: string): void;
  /** Closes both directions now. Idempotent. */
  close(): void;
  /**
   * Stops reading (backpressure: the consumer cannot keep up); what the peer
   * sends waits in the socket, and the peer blocks when that is full.
   */
  pause(): void;
  resume(): void;
  onData: (chunk: Buffer) => void;
  /** Called once, when the stream ends for any reason; `error` when it was not a clean EOF. */
  onClose: (error?: Error) => void;
}

export interface ConnectOptions {
  /** Rejects with ConnectError after this many ms (0 = never). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Told of what connecting makes outside this process (a listening socket
   * file, an ssh master and its directory): a synchronous function that
   * removes it, for a process that must exit at once. Returns the function
   * called when it is gone anyway.
   */
  registerCleanup?: (cleanup: () => void) => () => void;
}

/** An abort while connecting is an AbortError, as an abort before the call is (errors.ts InterruptedError). */
const interrupted = (what: string, signal?: AbortSignal) =>
  new InterruptedError(`${what} was interrupted`, { cause: signal?.reason });

export function connectTransport(address: Address, options: ConnectOptions = {}): Promise<Transport> {
  // An abort listener added to an aborted signal never fires: look first.
  if (options.signal?.aborted) return Promise.reject(interrupted(`connecting to ${formatAddress(address)}`, options.signal));
  if (address.kind === 'listen') return acceptTransport(address.path, options);
  if (address.kind === 'ssh') return connectSsh(address, options);
  return new Promise((resolve, reject) => {
    const socket =
      address.kind === 'unix'
        ? net.createConnection({ path: address.path })
        : net.createConnection({ host: address.host, port: address.port });
    const where = formatAddress(address);
    let timer: NodeJS.Timeout | undefined;

    const fail = (err: QmpError) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onError = (err: NodeJS.ErrnoException) => fail(describeConnectError(err, where));
    const onAbort = () => fail(interrupted(`connecting to ${where}`, options.signal));
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      socket.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
    };

    if (options.timeoutMs) {
      timer = setTimeout(
        () =>
          fail(
            new ConnectError(
              `could not connect to ${where} within ${options.timeoutMs! / 1000}s: ` +
                'check the address and that QEMU is running',
              { hint: 'connectTimeoutMs' },
            ),
          ),
        options.timeoutMs,
      );
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', () => {
      cleanup();
      socket.setNoDelay(true);
      resolve(wrapSocket(socket));
    });
  });
}

/** Through an ssh tunnel: the local end of `ssh -L`, and ssh's reasons when it ends. */
async function connectSsh(address: Extract<Address, { kind: 'ssh' }>, options: ConnectOptions): Promise<Transport> {
  // Loaded only for ssh:// targets: it brings node:child_process, which a local one-shot need not pay for.
  const { describeSshFailure, diagnoseRemoteSocket, openSshTunnel } = await import('./ssh.js');
  const tunnel = await openSshTunnel(address, options.timeoutMs ?? 0, options);
  // ssh closes a forwarded connection at once when the remote socket cannot
  // be opened: seen as the connection closing before anything came, or (Bun,
  // the single file) as the local connect itself failing with ECONNRESET.
  // Either way the reason is on the remote side: find it out.
  const why = async (error: unknown): Promise<unknown> => {
    const said = tunnel.stderr();
    if (/open failed|connect failed/i.test(said)) return describeSshFailure(address, said);
    return (await diagnoseRemoteSocket(address)) ?? error;
  };
  let inner: Transport;
  try {
    inner = await connectTransport({ kind: 'unix', path: tunnel.localPath }, options);
  } catch (err) {
    const reset = err instanceof ConnectError && (err.syscallCode === 'ECONNRESET' || err.syscallCode === 'EPIPE');
    const reason = reset ? await why(err) : err;
    tunnel.close();
    throw reason;
  }
  const outer: Transport = {
    write: (data) => inner.write(data),
    close: () => {
      inner.close();
      tunnel.close();
    },
    pause: () => inner.pause(),
    resume: () => inner.resume(),
    onData: () => {},
    onClose: () => {},
  };
  let received = false;
  inner.onData = (chunk) => {
    received = true;
    outer.onData(chunk);
  };
  inner.onClose = (error) => {
    if (received) {
      tunnel.close();
      outer.onClose(error);
      return;
    }
    void why(error).then((reason) => {
      tunnel.close();
      outer.onClose(reason as typeof error);
    });
  };
  return outer;
}

/**
 * --listen: QEMU is the client (`-qmp unix:PATH`). Listen on PATH, take the
 * first connection, stop listening and remove the socket file.
 */
function acceptTransport(path: string, options: ConnectOptions): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    let timer: NodeJS.Timeout | undefined;
    let unregister = () => {};
    const stop = () => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Closing the server removes its socket file (libuv unlinks it).
      server.close();
      unregister();
    };
    const onAbort = () => {
      stop();
      reject(interrupted(`waiting for QEMU on ${path}`, options.signal));
    };
    server.once('error', (err: NodeJS.ErrnoException) => {
      stop();
      reject(
        new ConnectError(
          err.code === 'EADDRINUSE'
            ? `cannot listen on ${path}: it exists already (remove it, or pick another path)`
            : `cannot listen on ${path}: ${err.message}`,
          { cause: err, syscallCode: err.code },
        ),
      );
    });
    server.once('listening', () => {
      // For a process that must exit at once: remove the socket file, if it is still the one made here.
      if (!options.registerCleanup) return;
      let ino: number | undefined;
      try {
        ino = fs.lstatSync(path).ino;
      } catch {
        return;
      }
      unregister = options.registerCleanup(() => {
        const st = fs.lstatSync(path, { throwIfNoEntry: false });
        if (st?.isSocket() && st.ino === ino) fs.unlinkSync(path);
      });
    });
    server.once('connection', (socket) => {
      stop();
      socket.setNoDelay(true);
      resolve(wrapSocket(socket));
    });
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        stop();
        reject(
          new ConnectError(
            `no QEMU connected to ${path} within ${options.timeoutMs! / 1000}s: start it with -qmp unix:${path}`,
            { hint: 'waitForSocketMs' },
          ),
        );
      }, options.timeoutMs);
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    server.listen(path);
  });
}

function wrapSocket(socket: net.Socket): Transport {
  let closed = false;
  let lastError: Error | undefined;
  const transport: Transport = {
    write(data) {
      if (!closed) socket.write(data);
    },
    close() {
      if (closed) return;
      socket.destroy();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    onData: () => {},
    onClose: () => {},
  };
  socket.on('data', (chunk: Buffer) => transport.onData(chunk));
  socket.on('error', (err) => {
    lastError = err;
  });
  socket.on('close', () => {
    if (closed) return;
    closed = true;
    transport.onClose(lastError);
  });
  return transport;
}

/** Turns a socket error into one line that says what happened and what to do. */
export function describeConnectError(err: NodeJS.ErrnoException, where: string): ConnectError {
  const code = err.code;
  const opts = { cause: err, syscallCode: code };
  switch (code) {
    case 'ENOENT':
      return new ConnectError(
        `no socket at ${where}: check the path, and that QEMU was started with -qmp unix:${where},server=on,wait=off`,
        opts,
      );
    case 'ECONNREFUSED':
      return new ConnectError(
        `connection refused by ${where}: nothing is listening there (QEMU exited, or is not started yet)`,
        opts,
      );
    case 'EACCES':
    case 'EPERM':
      return new ConnectError(
        `permission denied for ${where}: run as a user that may open the socket (e.g. its owner, or root)`,
        opts,
      );
    case 'EAGAIN':
      // QMP-NOTES "One client at a time": past the kernel backlog, connect fails with EAGAIN.
      return new MonitorBusyError(
        `monitor busy: ${where} is not accepting connections: another client is connected (QEMU serves one client per monitor)`,
        opts,
      );
    case 'ENOTSOCK':
      return new ConnectError(`${where} is not a socket: give the path of QEMU's QMP socket`, opts);
    case 'ENOTDIR':
      return new ConnectError(`bad path ${where}: a part of it is not a directory`, opts);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectError(`cannot resolve host of ${where}: check the host name`, opts);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectError(`cannot reach ${where}: check the address and the network`, opts);
    default:
      return new ConnectError(`cannot connect to ${where}: ${err.message}`, opts);
  }
}
