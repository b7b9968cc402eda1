/**
 * What a real QEMU will not do on demand: garbage, truncation, silence, odd
 * ids, events before the greeting. Library first, then the CLI's exit codes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient } from '../../src/session.js';
import {
  CommandError,
  ConnectError,
  ConnectionClosedError,
  MessageTooLargeError,
  MonitorBusyError,
  NegotiationError,
  ProtocolError,
  TimeoutError,
} from '../../src/errors.js';
import type { EventMessage } from '../../src/protocol/messages.js';
import { GREETING, useFakeServers, type FakeConnection } from '../helpers/fake-server.js';
import { CLI, runCli } from '../helpers/run-cli.js';

const serve = useFakeServers(afterEach);

/** A server that negotiates, then answers each request with `answer`. */
function answering(answer: (conn: FakeConnection, req: Awaited<ReturnType<FakeConnection['nextRequest']>>) => void) {
  return async (conn: FakeConnection) => {
    await conn.negotiate();
    for (;;) answer(conn, await conn.nextRequest());
  };
}

describe('QmpClient against a scripted server', () => {
  it('pause() leaves replies and events in the socket, in order, until resume(); a timeout that runs out meanwhile waits for it', async () => {
    let replied = false;
    const server = await serve(async (conn) => {
      await conn.negotiate();
      const req = await conn.nextRequest();
      conn.event('WHILE_PAUSED');
      conn.reply(req, { ok: true });
      replied = true;
    });
    const client = await QmpClient.connect(server.path, { commandTimeoutMs: 100 });
    try {
      const events: string[] = [];
      client.on('event', (e: EventMessage) => events.push(e.event));
      client.pause();
      let settled = false;
      const reply = client.execute('query-status');
      reply.then(() => (settled = true), () => (settled = true));
      while (!replied) await new Promise((r) => setTimeout(r, 10));
      // Several command timeouts pass with the reply unread in the socket.
      await new Promise((r) => setTimeout(r, 400));
      expect(events).toEqual([]);
      expect(settled).toBe(false);
      client.resume();
      expect(await reply).toEqual({ ok: true });
      expect(events).toEqual(['WHILE_PAUSED']);
    } finally {
      client.close();
    }
  });

  it('delivers events sent before the greeting and between replies, in order, never as replies', async () => {
    const server = await serve(async (conn) => {
      conn.event('EARLY');
      await conn.negotiate();
      const req = await conn.nextRequest();
      conn.event('BEFORE_REPLY', { n: 1 });
      conn.reply(req, { ok: true });
      conn.event('AFTER_REPLY');
    });
    const events: string[] = [];
    const client = new QmpClient({ kind: 'unix', path: server.path });
    client.on('event', (e: EventMessage) => events.push(e.event));
    await client.open();
    expect(await client.execute('query-x')).toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(['EARLY', 'BEFORE_REPLY', 'AFTER_REPLY']);
    client.close();
  });

  it('treats an error without an id as the server\'s parse error, not the pending reply', async () => {
    const server = await serve(answering((conn, req) => {
      conn.send({ error: { class: 'GenericError', desc: 'JSON parse error' } });
      conn.send({ error: { class: 'GenericError', desc: 'JSON parse error again' } });
      conn.reply(req, 'the real answer');
    }));
    const client = await QmpClient.connect(server.path);
    const warnings: string[] = [];
    client.on('warning', (w) => warnings.push(w));
    expect(await client.execute('cmd')).toBe('the real answer');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/without an id.*JSON parse error/);
    client.close();
  });

  it('matches replies by id when they arrive out of order, and ignores unknown ids', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      const a = await conn.nextRequest();
      const b = await conn.nextRequest();
      conn.send({ return: 'stray', id: 'not-ours' });
      conn.reply(b, 'B');
      conn.reply(a, 'A');
    });
    const client = await QmpClient.connect(server.path);
    const warnings: string[] = [];
    client.on('warning', (w) => warnings.push(w));
    const [a, b] = await Promise.all([client.execute('a'), client.execute('b')]);
    expect([a, b]).toEqual(['A', 'B']);
    expect(warnings.join()).toMatch(/unknown id "not-ours"/);
    client.close();
  });

  it('after a timeout, drops the late reply by its id instead of handing it to the next command', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      const slow = await conn.nextRequest();
      const next = await conn.nextRequest(); // sent after the first timed out
      conn.reply(slow, 'late reply to slow');
      conn.reply(next, 'reply to next');
    });
    const client = await QmpClient.connect(server.path);
    const warnings: string[] = [];
    client.on('warning', (w) => warnings.push(w));
    await expect(client.execute('slow', undefined, { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
    expect(await client.execute('next')).toBe('reply to next');
    expect(warnings).toEqual([]);
    client.close();
  });

  it('survives bytes dripped one at a time', async () => {
    const server = await serve(async (conn) => {
      const drip = async (text: string) => {
        for (const ch of Buffer.from(text)) {
          conn.send(Buffer.from([ch]));
          await new Promise((r) => setImmediate(r));
        }
      };
      await drip(`${JSON.stringify(GREETING)}\r\n`);
      const caps = await conn.nextRequest();
      await drip(`{"return": {}, "id": ${JSON.stringify(caps.id)}}\r\n`);
      const req = await conn.nextRequest();
      await drip(`{"return": {"big": 18446744073709551615, "s": "}{\\""}, "id": ${JSON.stringify(req.id)}}\r\n`);
    });
    const client = await QmpClient.connect(server.path);
    expect(await client.execute('x')).toEqual({ big: 18446744073709551615n, s: '}{"' });
    client.close();
  });

  it('reports garbage from the server as a protocol error', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      await conn.nextRequest();
      conn.send('this is not json\r\n');
    });
    const client = await QmpClient.connect(server.path);
    await expect(client.execute('x')).rejects.toThrow(ProtocolError);
    expect(client.state).toBe('closed');
  });

  it('reports a message cut off by close as a lost connection', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      await conn.nextRequest();
      conn.send('{"return": {"half": ');
      conn.socket.end();
    });
    const client = await QmpClient.connect(server.path);
    await expect(client.execute('x')).rejects.toThrow(/closed the connection in the middle of a message.*'x'/);
  });

  it('reports silence after connect as a busy monitor within the connect timeout', async () => {
    const server = await serve(() => {});
    const started = Date.now();
    await expect(QmpClient.connect(server.path, { connectTimeoutMs: 300 })).rejects.toBeInstanceOf(MonitorBusyError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails on a message over the size cap without buffering it all', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      await conn.nextRequest();
      conn.send(`{"return": "${'x'.repeat(1 << 20)}"}`);
    });
    const client = await QmpClient.connect(server.path, { maxMessageBytes: 64 * 1024 });
    await expect(client.execute('x')).rejects.toBeInstanceOf(MessageTooLargeError);
  });

  it('reports refused negotiation and malformed greetings', async () => {
    const refusing = await serve(async (conn) => {
      conn.greet();
      const caps = await conn.nextRequest();
      conn.send({ error: { class: 'GenericError', desc: 'no' }, id: caps.id });
    });
    await expect(QmpClient.connect(refusing.path)).rejects.toBeInstanceOf(NegotiationError);
    const bad = await serve((conn) => conn.send({ QMP: { nope: 1 } }));
    await expect(QmpClient.connect(bad.path)).rejects.toThrow(/malformed greeting/);
    const array = await serve((conn) => conn.send('[1, 2]\r\n'));
    await expect(QmpClient.connect(array.path)).rejects.toThrow(/not an object/);
    const closing = await serve((conn) => void conn.socket.end());
    await expect(QmpClient.connect(closing.path)).rejects.toBeInstanceOf(ConnectError);
  });

  it('treats EOF before the reply to quit as success, and as a lost connection for anything else', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      await conn.nextRequest();
      conn.event('SHUTDOWN');
      conn.socket.end();
    });
    const client = await QmpClient.connect(server.path);
    await expect(client.execute('quit')).resolves.toEqual({});
    const other = await serve(async (conn) => {
      await conn.negotiate();
      await conn.nextRequest();
      conn.socket.end();
    });
    const client2 = await QmpClient.connect(other.path);
    await expect(client2.execute('query-status')).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('rejects a command error with the class and desc', async () => {
    const server = await serve(answering((conn, req) =>
      conn.send({ error: { class: 'DeviceNotFound', desc: "Device 'x' not found" }, id: req.id }),
    ));
    const client = await QmpClient.connect(server.path);
    const err = await client.execute('device_del', { id: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: 'QMP_COMMAND_ERROR', errorClass: 'DeviceNotFound' });
    client.close();
  });
});

describe('qmpsh CLI against a scripted server', () => {
  it.each([
    ['garbage: exit 4', (c: FakeConnection) => c.send('garbage\r\n'), 4, /not JSON/],
    ['no greeting: exit 3', () => {}, 3, /monitor busy.*another client/],
    ['close before greeting: exit 3', (c: FakeConnection) => void c.socket.end(), 3, /before sending a greeting/],
    ['oversize: exit 4', (c: FakeConnection) => c.send(`{"QMP": "${'x'.repeat(3000)}"}`), 4, /size limit of 2048/],
  ])('%s, with one line', async (_name, script, code, message) => {
    const server = await serve(script);
    const r = await runCli([server.path, 'query-status', '--connect-timeout', '0.5', '--max-message-size', '2K']);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('times out a command with exit 5', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      await conn.nextRequest();
    });
    const r = await runCli([server.path, 'query-status', '--timeout', '0.3']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^qmpsh: no reply to 'query-status' within 0.3s/);
  });

  it('reports QEMU vanishing mid-command with exit 4', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      await conn.nextRequest();
      conn.socket.destroy();
    });
    const r = await runCli([server.path, 'query-status']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/closed the connection while 'query-status' was pending/);
  });

  it('warns about an id-less error on stderr but prints the real reply', async () => {
    const server = await serve(answering((conn, req) => {
      conn.send({ error: { class: 'GenericError', desc: 'JSON parse error' } });
      conn.reply(req, { status: 'running' });
    }));
    const r = await runCli([server.path, 'query-status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"status":"running"}\n');
    expect(r.stderr).toMatch(/warning: .*without an id/);
  });
});

describe('Ctrl-C', () => {
  it('stops waiting for the reply, says the command may still run, exits 130', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      await conn.nextRequest();
    });
    const { spawn } = await import('node:child_process');
    const child = spawn(CLI[0], [...CLI.slice(1), server.path, 'stop'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Wait until the request reached the server, then interrupt.
    while (server.requests.length < 2) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toBe("qmpsh: stopped waiting for 'stop' (it may still run in QEMU)\n");
  });
});

describe('batch pipelining (scripted server)', () => {
  /** Answers query-* after a short delay, records the order of events. */
  function recorder(log: string[], failing = new Set<string>()) {
    return async (conn: FakeConnection) => {
      conn.greet();
      const caps = await conn.nextRequest();
      log.push(`caps ${JSON.stringify(caps.arguments ?? {})}`);
      conn.reply(caps, {});
      for (;;) {
        const req = await conn.nextRequest();
        log.push(`got ${req.execute}`);
        setTimeout(() => {
          log.push(`replied ${req.execute}`);
          if (failing.has(req.execute)) conn.send({ error: { class: 'GenericError', desc: `${req.execute} failed` }, id: req.id });
          else conn.reply(req, { name: req.execute });
        }, 20);
      }
    };
  }

  it('asks for oob, pipelines read-only commands, and sends a command with effects only after every earlier reply', async () => {
    const log: string[] = [];
    const server = await serve(recorder(log));
    const r = await runCli([server.path], { input: 'query-a\nquery-b\nquery-c\nstop\nquery-d\n' });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { name: string }).name)).toEqual([
      'query-a', 'query-b', 'query-c', 'stop', 'query-d',
    ]);
    expect(log[0]).toBe('caps {"enable":["oob"]}');
    // The three queries were all in flight before the first reply...
    expect(log.slice(1, 4)).toEqual(['got query-a', 'got query-b', 'got query-c']);
    // ...and stop came only after all three were answered.
    expect(log.indexOf('got stop')).toBeGreaterThan(log.indexOf('replied query-c'));
  });

  it('stops at a failing query: later lines print nothing and commands with effects are never sent', async () => {
    const log: string[] = [];
    const server = await serve(recorder(log, new Set(['query-bad'])));
    const r = await runCli([server.path], { input: 'query-a\nquery-bad\nquery-c\nstop\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('{"name":"query-a"}\n');
    expect(r.stderr).toMatch(/^qmpsh: line 2: GenericError: query-bad failed$/m);
    expect(log).not.toContain('got stop');
  });
});

describe('QmpClient: arguments JSON cannot carry', () => {
  it.each([Infinity, -Infinity, NaN])('refuses %s (JSON.stringify would send null) and sends nothing', async (bad) => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
    });
    const client = await QmpClient.connect(server.path);
    try {
      await expect(client.execute('set-ratio', { a: { ratios: [1, bad] } })).rejects.toThrow(
        `the argument 'a.ratios[1]' of 'set-ratio' is ${bad}, which JSON cannot carry`,
      );
      // A null that was meant is sent: the server sees it.
      void client.execute('set-ratio', { x: null, y: 1 }).catch(() => {});
      while (server.requests.length < 2) await new Promise((r) => setTimeout(r, 10));
    } finally {
      client.close();
    }
    expect(server.requests.map((r) => r.execute)).toEqual(['qmp_capabilities', 'set-ratio']);
    expect(server.requests[1]?.arguments).toEqual({ x: null, y: 1 });
  });
});
