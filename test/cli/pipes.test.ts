/**
 * Pipes: a reader that goes away (`qmpsh ... | head -1`) ends every mode
 * quietly (exit 0) and frees the monitor.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { BIN, runCli } from '../helpers/run-cli.js';

let qemu: Qemu;
/** Monitors: A and C are watched by the CLI under test, B drives the VM. */
let A: string;
let B: string;
let C: string;
beforeAll(async () => {
  qemu = await startQemu({ monitors: ['plain', 'plain', 'plain'] });
  [A, B, C] = qemu.sockets as [string, string, string];
});
afterAll(async () => {
  await qemu?.stop();
});

interface Child {
  proc: ChildProcessWithoutNullStreams;
  stderr(): string;
  /** Resolves with the first line on stdout. */
  firstLine: Promise<string>;
  /** Resolves with [code, signal] when it has exited. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** The CLI with stdout a pipe the test reads; killed if it is still there after `killAfterMs`. */
function start(args: string[], killAfterMs = 20_000): Child {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: 'pipe' });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve([code, signal]);
    }),
  );
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        proc.stdout.off('data', onData);
        resolve(out.slice(0, nl));
      }
    };
    proc.stdout.on('data', onData);
    void exited.then(() => reject(new Error(`exited before a line on stdout: ${stderr}`)));
  });
  firstLine.catch(() => {});
  return { proc, stderr: () => stderr, firstLine, exited };
}

/** `| head -1`: the reader takes one line and goes away. */
async function headOne(child: Child): Promise<string> {
  const line = await child.firstLine;
  child.proc.stdout.destroy();
  return line;
}

const drive = (command: string) => runCli([B, command]);

/**
 * Makes events (stop, cont) until the stream's first line is there: the CLI
 * subscribes once its monitor answered, which the test cannot see.
 */
async function poke(child: Child): Promise<void> {
  let seen = false;
  void child.firstLine.then(() => (seen = true), () => (seen = true));
  while (!seen) {
    await drive('stop');
    await drive('cont');
  }
}

/** The monitor is free again: a one-shot gets its greeting well within the connect timeout. */
async function free(sock: string): Promise<void> {
  const r = await runCli([sock, 'query-status', '--connect-timeout', '5']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

describe('a reader that goes away (| head -1) ends every mode quietly, exit 0, and frees the monitor', () => {
  it('--events', async () => {
    const child = start([A, '--events']);
    await poke(child);
    expect(['STOP', 'RESUME']).toContain((JSON.parse(await headOne(child)) as { event: string }).event);
    // Written into a pipe nobody reads: EPIPE.
    await drive('stop');
    await drive('cont');
    expect(await child.exited).toEqual([0, null]);
    expect(child.stderr()).toBe('');
    await free(A);
  });

  it('--jobs', async () => {
    const child = start([A, '--jobs']);
    expect(JSON.parse(await headOne(child))).toMatchObject({ jobs: [] });
    expect(await child.exited).toEqual([0, null]);
    expect(child.stderr()).toBe('');
    await free(A);
  });

  it('batch, with the script still open', async () => {
    const child = start([A]);
    child.proc.stdin.write('query-status\n');
    expect(JSON.parse(await headOne(child))).toMatchObject({ status: 'running' });
    child.proc.stdin.write('query-name\n'); // its reply meets the closed pipe
    expect(await child.exited).toEqual([0, null]);
    expect(child.stderr()).toBe('');
    child.proc.stdin.destroy();
    await free(A);
  });

  it('fan-out --events on two monitors', async () => {
    const child = start([A, C, '--events']);
    await poke(child);
    expect(['STOP', 'RESUME']).toContain((JSON.parse(await headOne(child)) as { event: string }).event);
    await drive('stop');
    await drive('cont');
    expect(await child.exited).toEqual([0, null]);
    expect(child.stderr()).toBe('');
    await free(A);
    await free(C);
  });

  it('--wait-event with --json (the replies are streamed)', async () => {
    const child = start([A, '--wait-event', 'RESUME', '--json', 'query-status']);
    expect(JSON.parse(await headOne(child))).toMatchObject({ return: { status: 'running' } });
    await drive('stop'); // an event line, written to the closed pipe
    expect(await child.exited).toEqual([0, null]);
    expect(child.stderr()).toBe('');
    await drive('cont');
    await free(A);
  });
});
