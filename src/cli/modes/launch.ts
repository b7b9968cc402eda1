/**
 * --launch: start QEMU on a socket in a private temp directory, run the
 * command (or the script, or the shell) against it, and stop it afterwards,
 * also when a signal ends qmpsh (core/interrupt.ts). --keep leaves it running
 * and says where. QEMU's own stderr is shown when it fails to start; a
 * missing binary is exit 3 with a clear line. `-daemonize` is refused
 * (options/decide.ts): QEMU would leave us and outlive the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UNIX_PATH_MAX } from '../../address.js';
import { ConnectError } from '../../errors.js';
import { onCleanup } from '../core/interrupt.js';
import type { Runtime } from '../core/session.js';
import type { Targets } from '../options/decide.js';

type Launch = Extract<Targets, { kind: 'launch' }>;

/**
 * Where the private directory goes: $TMPDIR, unless it is no directory, or
 * a socket in it would be longer than a Unix socket path may be (107 bytes:
 * QEMU could not create it); then /tmp.
 */
function launchBase(): string {
  const fits = (base: string) => Buffer.byteLength(path.join(base, 'qmpsh-launch-XXXXXX', 'qmp.sock')) <= UNIX_PATH_MAX;
  const usable = (base: string) => {
    try {
      return path.isAbsolute(base) && fs.statSync(base).isDirectory() && fits(base);
    } catch {
      return false;
    }
  };
  // A $TMPDIR that is missing, relative or too long: /tmp, as mktemp(1) would.
  const base = os.tmpdir();
  return usable(base) || !usable('/tmp') ? base : '/tmp';
}

/** Starts QEMU, runs `run` on its socket (the mode, with every option as given), stops QEMU. */
export async function runLaunch(
  launch: Launch,
  rt: Runtime,
  run: (socket: string, rt: Runtime) => Promise<void>,
): Promise<void> {
  const { io } = rt;
  const [binary, ...args] = launch.argv as [string, ...string[]];
  const dir = fs.mkdtempSync(path.join(launchBase(), 'qmpsh-launch-'));
  const sock = path.join(dir, 'qmp.sock');
  let stderr = '';
  // QEMU's option syntax ends a value at a comma; a comma in the path is written twice.
  const qemu: ChildProcess = spawn(binary, [...args, '-qmp', `unix:${sock.replace(/,/g, ',,')},server=on,wait=off`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: launch.keep, // --keep: QEMU outlives us
  });
  qemu.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 64 * 1024) stderr = stderr.slice(-64 * 1024);
  });
  const started = new Promise<void>((resolve, reject) => {
    qemu.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ConnectError(
          err.code === 'ENOENT'
            ? `cannot run ${binary}: not found (install it, e.g. apt-get install qemu-system-x86, or give its path)`
            : `cannot run ${binary}: ${err.message}`,
          { cause: err, syscallCode: err.code },
        ),
      ),
    );
    qemu.once('spawn', () => resolve());
  });
  const exited = new Promise<never>((_, reject) =>
    qemu.once('exit', (code, signal) => {
      const said = stderr.trim().split('\n').slice(-5).join(' / ');
      reject(new ConnectError(`QEMU exited (${signal ?? `code ${code}`}) before its monitor answered${said ? `: ${said}` : ''}`));
    }),
  );
  exited.catch(() => {});
  // No pid: QEMU never started (spawn failed), so there is nothing to stop or
  // wait for. Node marks such a child exited (exitCode -2); Bun (the single
  // file) does not, and waiting for its 'exit' ended the run silently, exit 0.
  const running = () => qemu.pid !== undefined && qemu.exitCode === null && qemu.signalCode === null;
  const stop = () => {
    if (!running()) return;
    qemu.kill('SIGTERM');
    // A QEMU stopped with SIGSTOP acts on SIGTERM only once it runs again.
    qemu.kill('SIGCONT');
  };
  // If the process must go at once (a second signal), QEMU and its directory go with it; --keep keeps QEMU.
  const unregister = onCleanup(() => {
    if (launch.keep) return;
    if (running()) qemu.kill('SIGKILL'); // no time left to wait for it
    fs.rmSync(dir, { recursive: true, force: true });
  });

  try {
    await started;
    // The socket appears a moment after QEMU starts; if QEMU dies first, say why.
    await Promise.race([waitForFile(sock, exited), exited]);
    // The socket exists and QEMU accepts on it a moment later: wait for it (QMP-NOTES).
    const ready: Runtime = { ...rt, common: { ...rt.common, waitSocketMs: rt.common.waitSocketMs || 10_000 } };
    await Promise.race([run(`unix:${sock}`, ready), exited.catch((err: unknown) => (qemu.exitCode === 0 ? undefined : Promise.reject(err)))]);
  } finally {
    if (launch.keep && running()) {
      qemu.unref();
      qemu.stderr?.destroy();
      io.err(`qmpsh: QEMU (pid ${qemu.pid}) keeps running; its monitor: ${sock}`);
    } else {
      stop();
      await new Promise((resolve) => (running() ? qemu.once('exit', resolve) : resolve(undefined)));
      fs.rmSync(dir, { recursive: true, force: true });
    }
    unregister();
  }
}

async function waitForFile(file: string, exited: Promise<never>): Promise<void> {
  let gone = false;
  exited.catch(() => (gone = true));
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(file)) {
    if (gone) return;
    if (Date.now() > deadline) throw new ConnectError(`QEMU did not create its monitor socket within 10s (${file})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
