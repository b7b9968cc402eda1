/**
 * ssh://[user@]host[:port]/path/to.qmp: a QMP socket on another machine,
 * reached through the system's OpenSSH client (its config, keys and agent;
 * qmpsh never handles a password: BatchMode=yes). One `ssh -N -L` forwards a
 * Unix socket in a private temp directory to the remote socket; closing the
 * transport stops ssh and removes the directory. $QMPSH_SSH replaces the
 * `ssh` command (e.g. `ssh -F /path/to/config`).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatAddress, parseAddress, type Address } from '../address.js';
import { ConnectError } from '../errors.js';

export type SshTarget = Omit<Extract<Address, { kind: 'ssh' }>, 'kind'>;

/** `ssh://...` -> its parts, or undefined when it is not an ssh target. */
export function parseSshTarget(target: string): SshTarget | undefined {
  if (!target.startsWith('ssh://')) return undefined;
  try {
    return parseAddress(target) as Extract<Address, { kind: 'ssh' }>;
  } catch {
    return undefined;
  }
}

export function formatSshTarget(t: SshTarget, remotePath = t.path): string {
  return formatAddress({ kind: 'ssh', ...t, path: remotePath });
}

/**
 * The ssh command line for `t`: options, then `--`, then the destination (a
 * remote command, if any, follows it). address.ts refuses a host or user that
 * starts with '-'; the `--` makes sure ssh reads the destination as one
 * whatever it holds.
 */
function sshCommand(t: SshTarget, extra: string[]): [string, string[]] {
  const [cmd, ...base] = (process.env.QMPSH_SSH ?? 'ssh').split(/\s+/).filter(Boolean) as [string, ...string[]];
  return [
    cmd,
    [
      ...base,
      '-o', 'BatchMode=yes',
      '-o', 'ExitOnForwardFailure=yes',
      ...(t.port ? ['-p', String(t.port)] : []),
      ...extra,
      '--',
      t.user ? `${t.user}@${t.host}` : t.host,
    ],
  ];
}

/** ssh's last words, as one clear line that says what to do. */
export function describeSshFailure(t: SshTarget, stderr: string): ConnectError {
  const where = formatSshTarget(t);
  const said = stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'ssh failed';
  if (/Permission denied|Too many authentication failures|Host key verification failed/i.test(stderr)) {
    return new ConnectError(`ssh to ${t.host}: authentication failed (${said}): check your ssh keys, agent and known_hosts`);
  }
  if (/Could not resolve hostname|Connection refused|timed out|No route to host|Network is unreachable|Connection closed/i.test(stderr)) {
    return new ConnectError(`cannot reach ${t.host} over ssh (${said})`);
  }
  if (/open failed|No such file|Connection refused/i.test(stderr)) {
    return new ConnectError(`no QMP socket at ${t.path} on ${t.host} (${said}): check the path of ${where}`);
  }
  return new ConnectError(`ssh to ${t.host} failed: ${said}`);
}

export interface SshTunnel {
  /** The local end: connect here. */
  localPath: string;
  /** What ssh has said so far (for errors after the tunnel is up). */
  stderr(): string;
  close(): void;
}

/**
 * One ssh connection per host, shared by every target on it (a fan-out to a
 * node with dozens of sockets logs in once, not dozens of times, and stays
 * under sshd's MaxStartups): a master (`ssh -M -S CTL -N`), to which each
 * target adds its forwarding (`ssh -S CTL -O forward -L LOCAL:REMOTE`). The
 * master goes away with the last target that uses it.
 */
interface Master {
  dir: string;
  ctl: string;
  users: number;
  next: number;
  stderr: () => string;
  ready: Promise<void>;
  stop(): void;
}

const masters = new Map<string, Master>();

export interface TunnelOptions {
  /** Aborts logging in (the master is stopped when no other target uses it). */
  signal?: AbortSignal | undefined;
  /** See ConnectOptions.registerCleanup: the master and its directory, for a process that must exit at once. */
  registerCleanup?: ((cleanup: () => void) => () => void) | undefined;
}

function masterFor(t: SshTarget, timeoutMs: number, options: TunnelOptions): Master {
  const key = `${t.user ?? ''}@${t.host}:${t.port ?? ''}`;
  const existing = masters.get(key);
  if (existing) {
    existing.users++;
    return existing;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qmpsh-ssh-'));
  const ctl = path.join(dir, 'ctl');
  const [cmd, args] = sshCommand(t, ['-M', '-S', ctl, '-N', '-o', 'ControlPersist=no']);
  const ssh = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const kill = () => {
    if (ssh.exitCode === null && ssh.signalCode === null) ssh.kill('SIGTERM');
  };
  const unregister = options.registerCleanup?.(() => {
    kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  let stderr = '';
  let stopped = false;
  ssh.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8192);
  });
  const master: Master = {
    dir,
    ctl,
    users: 1,
    next: 0,
    stderr: () => stderr,
    ready: new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      ssh.once('error', (err: NodeJS.ErrnoException) =>
        finish(new ConnectError(`cannot run ${cmd}: ${err.code === 'ENOENT' ? 'not found (install openssh-client)' : err.message}`, { cause: err })),
      );
      ssh.once('exit', () => finish(describeSshFailure(t, stderr)));
      const deadline = Date.now() + (timeoutMs || 30_000);
      const poll = () => {
        if (settled) return;
        // The control socket appears once ssh is logged in.
        if (fs.existsSync(ctl)) return finish();
        if (Date.now() > deadline) return finish(new ConnectError(`ssh to ${t.host} did not log in within ${(timeoutMs || 30_000) / 1000}s`));
        setTimeout(poll, 20);
      };
      poll();
    }),
    stop() {
      if (stopped) return;
      stopped = true;
      if (masters.get(key) === master) masters.delete(key);
      kill();
      fs.rmSync(dir, { recursive: true, force: true });
      unregister?.();
    },
  };
  master.ready.catch(() => master.stop());
  masters.set(key, master);
  return master;
}

export async function openSshTunnel(t: SshTarget, timeoutMs: number, options: TunnelOptions = {}): Promise<SshTunnel> {
  const master = masterFor(t, timeoutMs, options);
  const release = () => {
    if (--master.users === 0) master.stop();
  };
  const { signal } = options;
  let onAbort = () => {};
  try {
    // Logging in may take long (a slow or silent host): an interrupt ends the wait.
    await new Promise<void>((resolve, reject) => {
      onAbort = () => reject(new ConnectError(`logging in to ${t.host} over ssh was interrupted`));
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      master.ready.then(resolve, reject);
    });
    signal?.removeEventListener('abort', onAbort);
    const localPath = path.join(master.dir, `${master.next++}.sock`);
    const [cmd, args] = sshCommand(t, ['-S', master.ctl, '-O', 'forward', '-L', `${localPath}:${t.path}`]);
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const fwd = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      fwd.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      fwd.once('error', () => resolve({ code: -1, stderr: err }));
      fwd.once('exit', (code) => resolve({ code, stderr: err }));
    });
    if (r.code !== 0 || !fs.existsSync(localPath)) throw describeSshFailure(t, r.stderr || master.stderr());
    let closed = false;
    return {
      localPath,
      stderr: master.stderr,
      close: () => {
        if (closed) return;
        closed = true;
        fs.rmSync(localPath, { force: true });
        release();
      },
    };
  } catch (err) {
    signal?.removeEventListener('abort', onAbort);
    release();
    throw err;
  }
}

/**
 * After the tunnel closed a connection before anything came through: is
 * there a socket at the remote path? (ssh itself only says so at a log level
 * the user's config may hide.) Resolves with the error to report, if any.
 */
export function diagnoseRemoteSocket(t: SshTarget): Promise<ConnectError | undefined> {
  const quoted = `'${t.path.replace(/'/g, `'\\''`)}'`;
  const [cmd, args] = sshCommand(t, []);
  return new Promise((resolve) => {
    const check = spawn(cmd, [...args, `test -S ${quoted}`], { stdio: 'ignore' });
    const timer = setTimeout(() => check.kill('SIGKILL'), 10_000);
    check.once('error', () => resolve(undefined));
    check.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 1 ? new ConnectError(`no QMP socket at ${t.path} on ${t.host}: check the path of ${formatSshTarget(t)}`) : undefined);
    });
  });
}

export interface RemoteGlob {
  /** What the glob matched, sorted; none when it matched nothing. */
  paths: string[];
  /** Lets go of the host's master (kept until then, so the tunnels to what was found reuse the login). */
  release(): void;
}

/**
 * Expands a glob in the remote path with the remote shell (`ls -1d`), sorted,
 * through the host's master (runOnSshHost): asynchronously, so a signal ends
 * the wait at once (the login, or the listing, is stopped with it), and on
 * the same login as the tunnels that follow. A login that fails is its
 * ConnectError, as for one target.
 */
export async function expandRemoteGlob(t: SshTarget, timeoutMs: number, options: TunnelOptions = {}): Promise<RemoteGlob> {
  // The remote shell expands the glob (the shell's own semantics, as locally):
  // glob characters, `!`/`^` (negation in brackets) and backslash escapes pass
  // unquoted; everything else is escaped, so nothing else is shell syntax.
  const quoted = t.path.replace(/[^A-Za-z0-9_\-./*?[\]!^\\]/g, (c) => `\\${c}`);
  const r = await runOnSshHost(t, `ls -1d -- ${quoted}`, timeoutMs, options);
  const fail = (err: ConnectError) => {
    r.release();
    throw err;
  };
  if (options.signal?.aborted) fail(new ConnectError(`expanding ${t.path} on ${t.host} was interrupted`));
  // ssh's own failure (the connection went away): 255, as ssh(1) says.
  if (r.code === 255) fail(describeSshFailure(t, r.stderr));
  // Killed: runOnSshHost's timeout (an abort was handled above).
  if (r.code === null) fail(new ConnectError(`expanding ${t.path} on ${t.host} did not finish within ${(timeoutMs || 30_000) / 1000}s`));
  // ls fails (2) when the glob matched nothing: the shell passed it on as it was.
  // runOnSshHost hands over bytes (latin1): the names are UTF-8, as the old spawnSync read them.
  const paths = r.code === 0 || r.stdout ? Buffer.from(r.stdout, 'latin1').toString('utf8').split('\n').filter(Boolean).sort() : [];
  return { paths, release: r.release };
}

export interface RemoteRun {
  code: number | null;
  /** Bytes as latin1 (one char a byte): the caller decodes. */
  stdout: string;
  stderr: string;
  /** Lets go of the host's master (kept until then, so later tunnels reuse the login). */
  release(): void;
}

/**
 * Runs a shell command on t's host through its master connection (the same
 * login every tunnel to that host uses). The master stays up until
 * release(): a listing followed by tunnels to what it found logs in once.
 */
export async function runOnSshHost(t: SshTarget, command: string, timeoutMs: number, options: TunnelOptions = {}): Promise<RemoteRun> {
  const master = masterFor(t, timeoutMs, options);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (--master.users === 0) master.stop();
  };
  const { signal } = options;
  let onAbort = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      onAbort = () => reject(new ConnectError(`logging in to ${t.host} over ssh was interrupted`));
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      master.ready.then(resolve, reject);
    });
    const [cmd, args] = sshCommand(t, ['-S', master.ctl]);
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(cmd, [...args, command], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout?.on('data', (d: Buffer) => out.push(d));
      child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8192)));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs || 30_000);
      const stop = () => child.kill('SIGKILL');
      signal?.addEventListener('abort', stop, { once: true });
      const done = (code: number | null) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
        resolve({ code, stdout: Buffer.concat(out).toString('latin1'), stderr: err });
      };
      child.once('error', () => done(-1));
      child.once('close', (code) => done(code));
    });
    signal?.removeEventListener('abort', onAbort);
    return { ...r, release };
  } catch (err) {
    signal?.removeEventListener('abort', onAbort);
    release();
    throw err;
  }
}
