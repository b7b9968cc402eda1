/**
 * Starts a real QEMU (`-M none`: a QMP server in ~40 MB, QMP-NOTES) for a
 * test, on sockets in a private temp directory. A missing QEMU is an error,
 * never a skip: the suite must not pass without the real peer.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const QEMU_BINARY = process.env.QMPSH_TEST_QEMU ?? 'qemu-system-x86_64';

/** Where scripts/install-qemu10.sh puts QEMU 10.0's wrappers (qemu-system-x86_64, qemu-storage-daemon). */
export const QEMU10_BIN = `${process.env.QMPSH_QEMU10_PREFIX ?? '/opt/qmpsh/qemu-10.0'}/bin`;

/**
 * Every QEMU under test, for the tests that start several versions at once:
 * QMPSH_TEST_QEMUS (a:b, as npm test sets it), else this run's QEMU and 10.0
 * when it is installed. Never a version number: each test asks the QEMU.
 */
export const TEST_QEMUS: string[] = process.env.QMPSH_TEST_QEMUS?.split(':').filter(Boolean) ??
  [QEMU_BINARY, ...(existsSync(`${QEMU10_BIN}/qemu-system-x86_64`) && !QEMU_BINARY.startsWith(QEMU10_BIN) ? [`${QEMU10_BIN}/qemu-system-x86_64`] : [])];

/** BINARY as a path: a bare name is looked up in $PATH. */
function resolveBinary(binary: string): string {
  if (binary.includes('/')) return binary;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return binary;
}

/**
 * The qemu-storage-daemon of the same build as the emulator BINARY: beside it
 * (an installed QEMU, install-qemu10.sh's wrappers), or in storage-daemon/
 * under it (a QEMU build tree). Undefined when there is none.
 */
export function storageDaemonOf(binary: string): string | undefined {
  const dir = dirname(resolveBinary(binary));
  return [join(dir, 'qemu-storage-daemon'), join(dir, 'storage-daemon', 'qemu-storage-daemon')].find((p) => existsSync(p));
}

export interface QemuOptions {
  /** Extra monitors: 'plain' (-qmp) or 'pretty' (-mon pretty=on), each on its own socket. */
  monitors?: Array<'plain' | 'pretty'>;
  /** Also listen on TCP (127.0.0.1, a free port). */
  tcp?: boolean;
  args?: string[];
  /** Another QEMU than QMPSH_TEST_QEMU (tests that need two versions at once). */
  binary?: string;
  /** Replaces `-M none` (e.g. a -M pc guest for migration). */
  machine?: string[];
}

export interface Qemu {
  dir: string;
  /** The first monitor's socket. */
  sock: string;
  /** One socket per entry in options.monitors (sockets[0] === sock). */
  sockets: string[];
  tcpPort: number | undefined;
  proc: ChildProcess;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function requireQemu(): void {
  const probe = spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${QEMU_BINARY} is needed by this test and could not be run (${probe.error?.message ?? probe.stderr}): ` +
        'install it with `apt-get install qemu-system-x86` (.ci/run does)',
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startQemu(options: QemuOptions = {}): Promise<Qemu> {
  requireQemu();
  const dir = mkdtempSync(join(tmpdir(), 'qmpsh-qemu-'));
  const monitors = options.monitors ?? ['plain'];
  const args = [...(options.machine ?? ['-M', 'none']), '-nodefaults', '-display', 'none'];
  const sockets: string[] = [];
  monitors.forEach((kind, i) => {
    const path = join(dir, `m${i}.sock`);
    sockets.push(path);
    if (kind === 'plain') args.push('-qmp', `unix:${path},server=on,wait=off`);
    else {
      args.push('-chardev', `socket,id=mon${i},path=${path},server=on,wait=off`);
      args.push('-mon', `chardev=mon${i},mode=control,pretty=on`);
    }
  });
  let tcpPort: number | undefined;
  if (options.tcp) {
    tcpPort = await freePort();
    args.push('-qmp', `tcp:127.0.0.1:${tcpPort},server=on,wait=off`);
  }
  args.push(...(options.args ?? []));

  const proc = spawn(options.binary ?? QEMU_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const qemu: Qemu = {
    dir,
    sock: sockets[0] as string,
    sockets,
    tcpPort,
    proc,
    stderr: () => stderr,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const path of sockets) await waitForGreeting({ path }, proc);
    if (tcpPort) await waitForGreeting({ host: '127.0.0.1', port: tcpPort }, proc);
  } catch (err) {
    await qemu.stop();
    throw new Error(`QEMU did not start: ${(err as Error).message}\n${stderr}`);
  }
  return qemu;
}

/**
 * A socket file exists slightly before QEMU accepts on it (QMP-NOTES), so poll
 * until a connection gets the greeting; then close, freeing the monitor.
 */
async function waitForGreeting(
  target: { path: string } | { host: string; port: number },
  proc: ChildProcess,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`QEMU exited with ${proc.exitCode}`);
    if (!('path' in target) || existsSync(target.path)) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.createConnection(target as net.NetConnectOpts);
        let buf = '';
        s.on('data', (d) => {
          buf += d.toString();
          if (buf.includes('\n')) {
            s.destroy();
            resolve(buf.includes('"QMP"'));
          }
        });
        s.on('error', () => resolve(false));
        s.setTimeout(2000, () => {
          s.destroy();
          resolve(false);
        });
      });
      if (ok) return;
    }
    if (Date.now() > deadline) throw new Error('no greeting within 10s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw client that takes the monitor (greeting read) and holds it until released. */
export async function holdMonitor(path: string): Promise<{ release(): void }> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path });
    s.once('error', reject);
    s.on('data', (d) => {
      if (d.toString().includes('"QMP"')) resolve({ release: () => s.destroy() });
    });
  });
}
