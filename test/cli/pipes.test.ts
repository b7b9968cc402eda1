/**
 * Pipes: a reader that goes away (`qmpsh ... | head -1`) ends every mode
 * quietly (exit 0) and frees the monitor; a reader that stalls makes qmpsh
 * stop reading the socket (backpressure) instead of buffering without bound,
 * and nothing is dropped.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useFakeServers } from '../helpers/fake-server.js';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { CLI, CLI_SHELL, runCli } from '../helpers/run-cli.js';

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

const serve = useFakeServers(afterEach);

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
  const proc = spawn(CLI[0], [...CLI.slice(1), ...args], { stdio: 'pipe' });
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

  it.each([['--events'], ['--wait-event', 'RESUME']])('%s on a quiet VM: the reader leaves with nothing written, and it ends all the same', async (...mode) => {
    // A shell's pipe (node's own child pipes are socket pairs): a reader that
    // reads nothing and leaves after 2 s. No event is made: before, qmpsh
    // waited for one to write (EPIPE), holding the monitor all the while.
    const line = `${CLI_SHELL} '${A}' ${mode.join(' ')} | sleep 2; echo "exit \${PIPESTATUS[0]}"`;
    const r = spawnSync('bash', ['-c', line], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout.trim()).toBe('exit 0');
    expect(r.stderr).toBe('');
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

describe('a stdout that cannot be written (>/dev/full): one line on stderr, exit 74, in every mode', () => {
  it.each([
    ['one-shot', () => [A, 'query-status'], ''],
    ['batch', () => [A], 'query-status\nquery-name\n'],
    ['fan-out', () => [A, C, 'query-status'], ''],
    ['--help', () => ['--help'], ''],
    ['--version', () => ['--version'], ''],
  ] as const)('%s', (_name, args, input) => {
    const words = args().map((a) => `'${a}'`).join(' ');
    const r = spawnSync('bash', ['-c', `${CLI_SHELL} ${words} >/dev/full`], { encoding: 'utf8', input, timeout: 20_000 });
    expect(r.status).toBe(74);
    expect(r.stderr).toBe('qmpsh: cannot write to standard output: ENOSPC (no space left on device)\n');
  });
});

describe('a stderr that cannot be written (2>/dev/full, a reader gone) is let go: stdout and the run go on', () => {
  // -v writes the whole conversation to stderr: a stderr that fails for good is
  // not a slow one (it was taken for one: every session waited for a 'drain',
  // and the run ended in a false 'cannot connect', exit 3, after 5 s).
  const MODES: Record<string, { args: () => string[]; input?: string; expect: RegExp }> = {
    'one-shot': { args: () => [A, 'query-status'], expect: /"status":"running"/ },
    batch: { args: () => [A], input: 'query-status\nquery-name\n', expect: /"status":"running"/ },
    'fan-out': { args: () => [A, C, 'query-status'], expect: /"target":.*"status":"running"/ },
    '--events --count 1': { args: () => [A, '--events', '--count', '1', '--timeout', '10'], expect: /"event":"(STOP|RESUME)"/ },
  };
  const shellRun = (line: string, input = ''): Promise<{ code: number | null; stdout: string }> =>
    new Promise((resolve) => {
      const child = spawn('bash', ['-c', line], { stdio: 'pipe' });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout });
      });
      child.stdin.end(input);
    });
  it.each(Object.keys(MODES))('%s with -v', async (name) => {
    const mode = MODES[name]!;
    for (const stderr of ['2>/dev/full', '2> >(head -c 1 >/dev/null)']) {
      const words = mode.args().map((a) => `'${a}'`).join(' ');
      const run = shellRun(`${CLI_SHELL} -v ${words} ${stderr}`, mode.input);
      // Its session's start cannot be seen (stderr is gone): events until it has one.
      let ended = false;
      void run.then(() => (ended = true));
      while (name.startsWith('--events') && !ended) {
        await drive('stop');
        await drive('cont');
        await new Promise((r) => setTimeout(r, 200));
      }
      const r = await run;
      expect(r.code, `${name} ${stderr}`).toBe(0);
      expect(r.stdout, `${name} ${stderr}`).toMatch(mode.expect);
    }
  });
});

/** Peak RSS (VmHWM) and bytes read so far (rchar) of a running process, from /proc. */
function procStats(pid: number): { hwmKiB: number; rchar: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    const rchar = /rchar:\s+(\d+)/.exec(io)?.[1];
    // A process that is exiting has no memory lines left.
    return hwm === undefined || rchar === undefined ? undefined : { hwmKiB: Number(hwm), rchar: Number(rchar) };
  } catch {
    return undefined;
  }
}

describe('a reader that stalls: backpressure', () => {
  /** A 1 KiB payload per event: a flood of N events is N KiB of JSON. */
  const PAYLOAD = 'x'.repeat(1024);

  /**
   * Where the flood goes: `--events --count N` prints it on stdout; a one-shot
   * whose reply comes after it shows it on stderr, as event lines.
   */
  type Via = 'stdout' | 'stderr';

  /**
   * Floods N events at qmpsh, whose output stream nobody reads until qmpsh
   * has read all it is going to (it stopped reading, or read everything);
   * then reads every line. Returns the peak RSS while the reader stalled
   * (what a stalled reader costs; reading later only churns garbage), and
   * whether every event arrived, in order.
   */
  async function flood(N: number, via: Via): Promise<{ hwmKiB: number; inOrder: boolean; count: number; code: number | null; other: string }> {
    let total = 0;
    const server = await serve(async (conn) => {
      await conn.negotiate();
      const req = via === 'stderr' ? await conn.nextRequest() : undefined;
      const lines: string[] = [];
      for (let i = 0; i < N; i++) {
        lines.push(`{"timestamp": {"seconds": 1, "microseconds": 0}, "event": "FLOOD", "data": {"n": ${i}, "pad": "${PAYLOAD}"}}\r\n`);
      }
      if (req) lines.push(`${JSON.stringify({ return: { done: true }, id: req.id })}\r\n`);
      const text = lines.join('');
      total = Buffer.byteLength(text);
      // All of it at once: the kernel takes what fits, Node holds the rest here, in the test.
      conn.send(text);
    });
    const args = via === 'stdout' ? ['--events', '--count', String(N)] : ['query-status'];
    const child = spawn(CLI[0], [...CLI.slice(1), server.path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const [stalled, otherStream] = via === 'stdout' ? [child.stdout, child.stderr] : [child.stderr, child.stdout];
    let other = '';
    otherStream.setEncoding('utf8').on('data', (d: string) => (other += d));
    stalled.pause(); // the stalled reader
    const pid = child.pid as number;
    // Wait until qmpsh read everything, or stopped reading: rchar still for 10 looks in a row.
    // VmHWM is the peak so far: its reading then is the peak while the reader stalled.
    let hwmKiB = 0;
    let last = -1;
    let still = 0;
    while (total === 0 || still < 10) {
      await new Promise((r) => setTimeout(r, 50));
      const s = procStats(pid);
      if (!s) break;
      hwmKiB = Math.max(hwmKiB, s.hwmKiB);
      if (total > 0 && s.rchar >= total) break;
      still = s.rchar === last ? still + 1 : 0;
      last = s.rchar;
    }
    // Now read: every event, in order, nothing dropped.
    let count = 0;
    let inOrder = true;
    let rest = '';
    stalled.setEncoding('utf8').on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop() as string;
      for (const line of lines) {
        const n = Number(/"n":(\d+)/.exec(line)?.[1]);
        inOrder &&= n === count;
        count++;
      }
    });
    stalled.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    return { hwmKiB, inOrder, count, code, other };
  }

  it.each([
    ['stdout (--events)', 'stdout', ''],
    ['stderr (events during a one-shot)', 'stderr', '{"done":true}\n'],
  ] as const)(
    'stops reading the socket while %s is blocked: peak memory does not grow with the flood, and every event arrives in order',
    async (_name, via, otherOutput) => {
      const short = await flood(5_000, via); // ~5 MB
      const long = await flood(100_000, via); // ~100 MB
      for (const [r, n] of [[short, 5_000], [long, 100_000]] as const) {
        expect(r, `${n} events`).toMatchObject({ code: 0, count: n, inOrder: true, other: otherOutput });
      }
      // Twenty times the flood: without backpressure qmpsh holds it all (several times the short run's peak).
      expect(long.hwmKiB / short.hwmKiB, `peak RSS ${short.hwmKiB} KiB, then ${long.hwmKiB} KiB`).toBeLessThan(1.3);
    },
  );
});
