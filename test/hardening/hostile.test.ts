/**
 * Hostile and broken peers (a scripted server): every case ends in a clear
 * error and its exit code, with bounded memory and no hang.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { GREETING, useFakeServers, type FakeConnection } from '../helpers/fake-server.js';
import { CLI, runCli } from '../helpers/run-cli.js';

const serve = useFakeServers(afterEach);

/** Negotiates, waits for the command, then misbehaves. */
const afterCommand = (misbehave: (conn: FakeConnection, id: unknown) => void | Promise<void>) => async (conn: FakeConnection) => {
  await conn.negotiate();
  const req = await conn.nextRequest();
  await misbehave(conn, req.id);
};

interface HostileCase {
  name: string;
  script: (conn: FakeConnection) => void | Promise<void>;
  /** The script answers qmpsh's own query-target itself (else the server does). */
  identity?: boolean;
  code: number;
  message: RegExp;
  args?: string[];
}

export const HOSTILE_PEERS: HostileCase[] = [
  { name: 'non-JSON bytes', script: afterCommand((c) => c.send('hello\r\n')), code: 4, message: /bytes that are not JSON: "hello/ },
  { name: 'JSON that is not an object', script: afterCommand((c) => c.send('[1,2,3]\r\n')), code: 4, message: /JSON that is not an object/ },
  { name: 'a greeting of the wrong shape', script: (c) => c.send({ QMP: { version: 7 } }), code: 4, message: /malformed greeting/ },
  { name: 'a reply before the greeting', script: (c) => c.send({ return: {} }), code: 4, message: /reply before its greeting/ },
  // Greetings whose fields would become file names or crash a formatter.
  ...([
    ['a path in the greeting\'s version', { qemu: { major: 7, minor: 2, micro: '0/../../../../tmp/x/evil' }, package: 'p' }],
    ['a greeting whose package is a number', { qemu: { major: 7, minor: 2, micro: 0 }, package: 123 }],
    ['a greeting whose major is an object', { qemu: { major: {}, minor: 2, micro: 0 }, package: 'p' }],
  ] as const).map(([name, version]): HostileCase => ({
    name,
    script: (c) => c.send({ QMP: { version, capabilities: [] } }),
    code: 4,
    message: /^qmpsh: the server sent a malformed greeting: [^\n]*\n$/,
  })),
  {
    name: 'a peer that never answers qmpsh\'s own look-up (query-target)',
    identity: true,
    script: async (c) => {
      await c.negotiate();
      for (;;) {
        const req = await c.nextRequest();
        if (req.execute !== 'query-target') c.reply(req, {});
      }
    },
    code: 5,
    message: /^qmpsh: QEMU did not answer qmpsh's own look-up \(query-target[^\n]*nothing of yours was sent[^\n]*\n$/,
    args: ['--timeout', '0.5'],
  },
  { name: 'a number no double holds (1e400)', script: afterCommand((c, id) => c.send(`{"return": {"r": 1e400}, "id": ${JSON.stringify(id)}}\r\n`)), code: 4, message: /^qmpsh: the server sent a number out of range: the number 1e400 is beyond what a double holds/ },
  {
    name: 'negotiation refused',
    script: async (c) => {
      c.greet();
      const caps = await c.nextRequest();
      c.send({ error: { class: 'CommandNotFound', desc: 'nope' }, id: caps.id });
    },
    code: 3,
    message: /capability negotiation failed: CommandNotFound: nope/,
  },
  { name: 'invalid UTF-8', script: afterCommand((c) => c.send(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]))), code: 4, message: /not valid UTF-8/ },
  { name: 'NUL bytes between messages', script: afterCommand((c) => c.send(Buffer.from([0, 0, 0x7b, 0x7d]))), code: 4, message: /not JSON: "\\u0000/ },
  { name: 'a NUL byte inside a string', script: afterCommand((c, id) => c.send(`{"return": "a\u0000b", "id": ${JSON.stringify(id)}}\r\n`)), code: 4, message: /invalid JSON/ },
  {
    name: 'a 100 MB message (the 64 MiB cap)',
    script: afterCommand(async (c) => {
      c.send('{"return": "');
      const mb = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < 100 && !c.socket.destroyed; i++) {
        if (!c.socket.write(mb)) await new Promise((r) => c.socket.once('drain', r));
      }
    }),
    code: 4,
    message: /exceeds the size limit of 67108864 bytes/,
  },
  {
    name: 'a message that never ends',
    script: afterCommand(async (c) => {
      c.send('{"return": "');
      while (!c.socket.destroyed) {
        c.send('x');
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
    code: 5,
    message: /no reply to 'query-status' within 0.5s/,
    args: ['--timeout', '0.5'],
  },
  {
    name: 'deep nesting (1e5 brackets)',
    script: afterCommand((c) => c.send(`{"return": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`)),
    code: 4,
    message: /nested deeper than 1024/,
  },
  {
    name: 'a reply with an unknown id, then silence',
    script: afterCommand((c) => c.send({ return: 'not yours', id: 'someone-else' })),
    code: 5,
    message: /unknown id "someone-else"[\s\S]*no reply to 'query-status' within 0.5s/,
    args: ['--timeout', '0.5'],
  },
  {
    name: 'connection reset mid-reply',
    script: afterCommand((c) => {
      c.send('{"return": {"status": "runn');
      c.socket.resetAndDestroy();
    }),
    code: 4,
    message: /closed the connection in the middle of a message/,
  },
];

describe('hostile peers: a clear error and its exit code', () => {
  it.each(HOSTILE_PEERS)('$name -> exit $code', async (peer) => {
    const server = await serve(peer.script, { identity: peer.identity ?? false });
    const r = await runCli([server.path, 'query-status', ...(peer.args ?? [])]);
    expect(r.code).toBe(peer.code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(peer.message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('duplicate replies', () => {
  it('takes the first reply and ignores the copy', async () => {
    const server = await serve(
      afterCommand((c, id) => {
        c.send({ return: { n: 1 }, id });
        c.send({ return: { n: 2 }, id });
      }),
    );
    const r = await runCli([server.path, 'query-status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"n":1}\n');
  });
});

/** Peak RSS of a running child, polled from /proc (Linux). */
function watchPeakRss(pid: number): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      // exited
    }
  }, 10);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

describe('an event flood while a command is pending', () => {
  it('delivers 100,000 events in order with --json, then the reply, in bounded memory', async () => {
    const N = 100_000;
    const server = await serve(
      afterCommand(async (c, id) => {
        for (let i = 0; i < N; i++) {
          const ok = c.socket.write(`{"timestamp": {"seconds": 1, "microseconds": ${i % 1000000}}, "event": "FLOOD", "data": {"n": ${i}}}\r\n`);
          if (!ok) await new Promise((r) => c.socket.once('drain', r));
        }
        c.send({ return: { done: true }, id });
      }),
    );
    const child = spawn(CLI[0], [...CLI.slice(1), server.path, '--json', 'query-status'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const peak = watchPeakRss(child.pid as number);
    let count = 0;
    let next = 0;
    let inOrder = true;
    let last = '';
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop() as string;
      for (const line of lines) {
        count++;
        last = line;
        const m = /"n":(\d+)/.exec(line);
        if (m) inOrder &&= Number(m[1]) === next++;
      }
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    const peakKiB = peak();
    expect(code).toBe(0);
    expect(count).toBe(N + 1);
    expect(inOrder).toBe(true);
    expect(next).toBe(N);
    expect(JSON.parse(last)).toMatchObject({ return: { done: true } });
    // Bounded: the flood is ~10 MB of JSON; memory stays near Node's own floor.
    expect(peakKiB).toBeGreaterThan(0);
    expect(peakKiB).toBeLessThan(200 * 1024);
  });
});

describe('events in the same read as the negotiation reply', () => {
  it('--events --count counts them too (none lost before the stream starts)', async () => {
    const server = await serve(async (c) => {
      c.greet();
      const caps = await c.nextRequest();
      // One write: the reply and three events right behind it.
      const ev = (n: number) => `{"timestamp": {"seconds": 1, "microseconds": ${n}}, "event": "EARLY", "data": {"n": ${n}}}\r\n`;
      c.send(`{"return": {}, "id": ${JSON.stringify(caps.id)}}\r\n${ev(0)}${ev(1)}${ev(2)}`);
    });
    const r = await runCli([server.path, '--events', '--count', '3', '--timeout', '5']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { data: { n: number } }).data.n)).toEqual([0, 1, 2]);
  });
});

describe('greeting quirks', () => {
  it('tolerates events before the greeting (Ganeti #1649)', async () => {
    const server = await serve(async (c) => {
      c.event('EARLY');
      c.send(GREETING);
      const caps = await c.nextRequest();
      c.reply(caps, {});
      const req = await c.nextRequest();
      c.reply(req, { status: 'running' });
    });
    const r = await runCli([server.path, 'query-status']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^event EARLY /);
  });
});
