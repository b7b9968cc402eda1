import { UsageError } from './errors.js';

export type Address =
  | { kind: 'unix'; path: string }
  /** qmpsh listens; QEMU, started with -qmp unix:PATH, connects (--listen). */
  | { kind: 'listen'; path: string }
  /** A socket on another machine, through OpenSSH (transport/ssh.ts). */
  | { kind: 'ssh'; user: string | undefined; host: string; port: number | undefined; path: string }
  | { kind: 'tcp'; host: string; port: number };

/** Linux sun_path is 108 bytes including the terminating NUL (unix(7)). */
export const UNIX_PATH_MAX = 107;

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/;

/**
 * Parses a target as a user types it:
 *
 *   /run/vm.qmp, ./vm.qmp, vm.qmp, unix:/run/vm.qmp   -> Unix socket
 *   127.0.0.1:4444, localhost:4444, tcp:host:4444     -> TCP
 *   [::1]:4444, tcp:[::1]:4444                        -> TCP over IPv6
 *
 * Anything with a slash, or without a `host:port` shape, is a path: a socket
 * file named `vm:1` in the current directory is reachable as `./vm:1`.
 */
export function parseAddress(target: string): Address {
  if (target === '') throw new UsageError('empty target: give a socket path or host:port');
  if (target.startsWith('unix:')) return unixAddress(target.slice(5), target);
  if (target.startsWith('ssh://')) {
    const m = /^ssh:\/\/(?:([^@/]+)@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?(\/.*)$/.exec(target);
    if (!m) throw new UsageError(`bad ssh target '${target}': expected ssh://[user@]host[:port]/path/to.qmp`);
    const user = m[1];
    const host = (m[2] as string).replace(/^\[|\]$/g, '');
    // These words reach ssh's command line: one that starts with '-' would be
    // read as an option (-oProxyCommand=... runs a command), and spaces or a
    // '/' are no part of a host or user name. ssh.ts also puts `--` before the
    // destination; refusing here says so before anything runs.
    refuseSshWord('host', host, target);
    if (user !== undefined) refuseSshWord('user', user, target);
    return { kind: 'ssh', user, host, port: m[3] ? Number(m[3]) : undefined, path: m[4] as string };
  }
  if (target.startsWith('listen:')) {
    const a = unixAddress(target.slice(7), target) as { path: string };
    return { kind: 'listen', path: a.path };
  }
  if (target.startsWith('tcp:')) {
    const tcp = tcpAddress(target.slice(4));
    if (!tcp) {
      throw new UsageError(`bad TCP target '${target}': expected tcp:HOST:PORT or tcp:[IPv6]:PORT`);
    }
    return tcp;
  }
  if (!target.includes('/')) {
    const tcp = tcpAddress(target);
    if (tcp) return tcp;
  }
  return unixAddress(target, target);
}

function refuseSshWord(what: 'host' | 'user', word: string, target: string): void {
  const why =
    word === ''
      ? 'is empty'
      : word.startsWith('-')
        ? "starts with '-' (ssh would read it as an option)"
        : /[\s\x00-\x1f\x7f]/.test(word)
          ? 'holds a space or a control character'
          : word.includes('/') || (what === 'host' && word.includes('@'))
            ? `holds a '${word.includes('/') ? '/' : '@'}'`
            : undefined;
  if (why) throw new UsageError(`bad ssh target '${target}': the ${what} ${why}`);
}

function unixAddress(path: string, target: string): Address {
  if (path === '') throw new UsageError(`bad target '${target}': the socket path is empty`);
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) {
    throw new UsageError(
      `socket path is ${Buffer.byteLength(path)} bytes, over the system's limit of ${UNIX_PATH_MAX}: ` +
        'use a shorter path, a relative one, or a symlink to its directory',
    );
  }
  return { kind: 'unix', path };
}

function tcpAddress(text: string): Address | undefined {
  const m = HOST_PORT.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) {
    throw new UsageError(`bad port ${m[3]} in '${text}': ports are 1-65535`);
  }
  return { kind: 'tcp', host: (m[1] ?? m[2]) as string, port };
}

export function formatAddress(address: Address): string {
  if (address.kind === 'unix') return address.path;
  if (address.kind === 'listen') return `listen:${address.path}`;
  if (address.kind === 'ssh') {
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    return `ssh://${address.user ? `${address.user}@` : ''}${host}${address.port ? `:${address.port}` : ''}${address.path}`;
  }
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
