/**
 * Faults with a real QEMU, each with its defined outcome: killed, stopped,
 * held by another client, gone, not permitted.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { holdMonitor, startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI, PACKAGE_BIN, runCli, SINGLE_FILE } from '../helpers/run-cli.js';

let running: Qemu[] = [];
afterEach(async () => {
  for (const q of running) {
    q.proc.kill('SIGCONT');
    await q.stop();
  }
  running = [];
});

async function qemu(monitors: Array<'plain'> = ['plain']): Promise<Qemu> {
  const q = await startQemu({ monitors });
  running.push(q);
  return q;
}

/** A batch whose lines are written one at a time, after each reply. */
function interactiveBatch(args: string[]) {
  const child = spawn(CLI[0], [...CLI.slice(1), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    write: (line: string) => child.stdin.write(`${line}\n`),
    end: () => child.stdin.end(),
    async outputLines(n: number) {
      while (stdout.split('\n').length <= n) await new Promise((r) => setTimeout(r, 10));
    },
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

describe('faults with a real QEMU', () => {
  it('QEMU killed while a command is pending: exit 4, one line naming the line that was pending', async () => {
    const q = await qemu();
    const batch = interactiveBatch([q.sock]);
    batch.write('query-status');
    await batch.outputLines(1);
    q.proc.kill('SIGSTOP'); // so the next command stays pending
    batch.write('query-name');
    await new Promise((r) => setTimeout(r, 200));
    q.proc.kill('SIGKILL');
    expect(await batch.exited).toBe(4);
    expect(batch.stderr).toMatch(/^qmpsh: line 2: QEMU closed the connection .*while 'query-name' was pending/);
    expect(batch.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('QEMU stopped (SIGSTOP) mid-session: the command times out with exit 5', async () => {
    const q = await qemu();
    const batch = interactiveBatch([q.sock, '--timeout', '0.5']);
    batch.write('query-status');
    await batch.outputLines(1);
    q.proc.kill('SIGSTOP');
    batch.write('query-status');
    batch.end();
    expect(await batch.exited).toBe(5);
    expect(batch.stderr).toMatch(/^qmpsh: line 2: no reply to 'query-status' within 0.5s: QEMU may be stopped/);
  });

  it('QEMU stopped before connecting: told apart from a busy monitor (/proc), a timeout, exit 5', async () => {
    const q = await qemu();
    q.proc.kill('SIGSTOP');
    const r = await runCli([q.sock, 'query-status', '--connect-timeout', '0.5']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`qmpsh: no greeting from ${q.sock} within 0.5s: QEMU (pid ${q.proc.pid}) is stopped; resume it with kill -CONT ${q.proc.pid}\n`);
  });

  it('QEMU quitting between two lines of a batch: exit 4 at once, naming where the script was', async () => {
    const q = await qemu(['plain', 'plain']);
    const batch = interactiveBatch([q.sockets[0] as string]);
    batch.write('query-status');
    await batch.outputLines(1);
    expect((await runCli([q.sockets[1] as string, 'quit'])).code).toBe(0);
    // stdin stays open: qmpsh must not wait for the next line to notice.
    expect(await batch.exited).toBe(4);
    expect(batch.stderr).toMatch(/^qmpsh: after line 1: QEMU closed the connection/m);
    batch.end();
  });

  it('the monitor held by another client: exit 3 "busy"', async () => {
    const q = await qemu();
    const holder = await holdMonitor(q.sock);
    try {
      const r = await runCli([q.sock, 'query-status', '--connect-timeout', '0.5']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`^qmpsh: monitor busy: .*another client is connected \\(QEMU, pid ${q.proc.pid},`));
    } finally {
      holder.release();
    }
  });

  it('a socket file nobody listens on (QEMU killed): exit 3, connection refused', async () => {
    const q = await qemu();
    q.proc.kill('SIGKILL');
    await q.exited;
    const r = await runCli([q.sock, 'query-status']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^qmpsh: connection refused by .*: nothing is listening there \(QEMU exited, or is not started yet\)$/m);
  });

  it('a socket the user may not open: exit 3, permission denied, with a hint', async () => {
    const q = await qemu();
    const { chmodSync } = await import('node:fs');
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(q.sock, 0o000); // as an ordinary user: a socket without permissions
    // nobody may not read the checkout (it may live under /root): run a copy of the bundle (or
    // of the single file) from /tmp.
    const { copyFileSync, mkdirSync, mkdtempSync, chmodSync: chmod, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join, dirname } = await import('node:path');
    const copy = mkdtempSync(join(tmpdir(), 'qmpsh-copy-'));
    chmod(copy, 0o755);
    const files = SINGLE_FILE ? [] : ['bin/qmpsh.cjs', 'dist/launch.cjs', 'dist/cli.cjs'];
    for (const f of files) {
      mkdirSync(join(copy, dirname(f)), { recursive: true, mode: 0o755 });
      copyFileSync(join(PACKAGE_BIN, '../..', f), join(copy, f));
    }
    if (SINGLE_FILE) copyFileSync(SINGLE_FILE, join(copy, 'qmpsh'));
    const [file, ...args] = SINGLE_FILE ? [join(copy, 'qmpsh')] : [process.execPath, join(copy, 'bin/qmpsh.cjs')];
    const child = spawn(file as string, [...args, q.sock, 'query-status'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // As root: run as nobody, who may not write to QEMU's socket (created 0755).
      ...(asRoot ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: '/nonexistent', XDG_CACHE_HOME: '' } } : {}),
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    rmSync(copy, { recursive: true, force: true });
    expect(code).toBe(3);
    expect(stderr).toMatch(/^qmpsh: permission denied for .*: run as a user that may open the socket/);
  });
});
