/**
 * Values out of the expected range from a peer (a scripted server): an event
 * whose timestamp is no date, job lists whose members are not what QEMU
 * sends. Whatever it is, it is shown (raw where it cannot be formatted), and
 * the session goes on: a formatter's trouble never swallows the reply that
 * came in the same read, and never ends qmpsh as an internal error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useFakeServers, type FakeConnection } from '../helpers/fake-server.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

const serve = useFakeServers(afterEach);

/** Timestamps a peer may send that are no date, with how each is shown. */
const ODD_TIMESTAMPS: Array<[string, string, RegExp]> = [
  ['microseconds beyond 2^64', '{"seconds": 1700000000, "microseconds": 99999999999999999999}', /event STOP \{"seconds":1700000000,"microseconds":99999999999999999999\}/],
  ['seconds past year 275760', '{"seconds": 9000000000000, "microseconds": 1}', /event STOP \{"seconds":9000000000000,"microseconds":1\}/],
  ['seconds beyond 2^64', '{"seconds": 99999999999999999999, "microseconds": 1}', /event STOP \{"seconds":99999999999999999999,"microseconds":1\}/],
  ['a string', '{"seconds": "soon", "microseconds": 1}', /event STOP \{"seconds":"soon","microseconds":1\}/],
  ['microseconds past a second', '{"seconds": 1, "microseconds": 1000000}', /event STOP \{"seconds":1,"microseconds":1000000\}/],
  ['negative seconds', '{"seconds": -1, "microseconds": 0}', /event STOP \{"seconds":-1,"microseconds":0\}/],
  ['not an object', '7', /event STOP - /],
];

/** Negotiates; on the command, sends the event and the reply in one write. */
const eventThenReply = (timestamp: string) => async (c: FakeConnection) => {
  await c.negotiate();
  const req = await c.nextRequest();
  c.send(`{"event": "STOP", "data": {"n": 1}, "timestamp": ${timestamp}}\r\n{"return": {"status": "paused"}, "id": ${JSON.stringify(req.id)}}\r\n`);
};

describe('event timestamps that are no date', () => {
  it.each(ODD_TIMESTAMPS)('one-shot, %s: the event shown raw, the reply printed, exit 0', async (_name, timestamp, shown) => {
    const server = await serve(eventThenReply(timestamp));
    const r = await runCli([server.path, 'query-status', '--timeout', '10']);
    expect(r.stderr).toMatch(shown);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stdout).toBe('{"status":"paused"}\n');
    expect(r.code).toBe(0);
  });

  it('--events prints the event as sent, digit for digit', async () => {
    const server = await serve(async (c) => {
      await c.negotiate();
      c.send('{"event": "STOP", "timestamp": {"seconds": 1700000000, "microseconds": 99999999999999999999}}\r\n');
    });
    const r = await runCli([server.path, '--events', '--count', '1']);
    expect(r.stdout).toBe('{"event":"STOP","timestamp":{"seconds":1700000000,"microseconds":99999999999999999999}}\n');
    expect(r.code).toBe(0);
  });

  it('the REPL shows it above the prompt and goes on', async () => {
    requireTmux();
    const server = await serve(async (c) => {
      await c.negotiate();
      for (;;) {
        const req = await c.nextRequest();
        if (req.execute === 'query-name') {
          c.send('{"event": "STOP", "timestamp": {"seconds": 1700000000, "microseconds": 99999999999999999999}}\r\n');
          c.send('{"event": "toString", "timestamp": {"seconds": 1700000000, "microseconds": 1}}\r\n');
        }
        c.reply(req, req.execute === 'query-commands' ? [{ name: 'query-name' }] : req.execute === 'query-status' ? { status: 'running' } : {});
      }
    });
    const t = Tmux.start([...CLI, server.path], { NO_COLOR: '1' }, 200, 40);
    try {
      await t.waitFor(/\[running\]>$/m);
      t.type('query-name');
      t.keys('Enter');
      // The event raw (STOP: paused), the odd name changes nothing, the reply, and the prompt again.
      const screen = await t.waitFor(/\{\}\n.*\[paused\]>$/m);
      expect(screen).toMatch(/event STOP \{"seconds":1700000000,"microseconds":99999999999999999999\}/);
      expect(screen).toMatch(/event toString 2023-11-14T22:13:20\.000001Z/);
      expect(screen).not.toMatch(/internal error|function/);
      t.keys('C-d');
      expect(await t.exitCode()).toBe(0);
    } finally {
      t.close();
    }
  });
});

describe('a REPL peer whose query-commands and query-status are not what QEMU sends', () => {
  it('starts with no command names and an unknown state, and works', async () => {
    requireTmux();
    const server = await serve(async (c) => {
      await c.negotiate();
      for (;;) {
        const req = await c.nextRequest();
        if (req.execute === 'query-commands') c.reply(req, { name: { toString: 1 } });
        else if (req.execute === 'query-status') c.reply(req, null);
        else if (req.execute === 'query-block') c.reply(req, [null, 5, { device: { toString: 1 } }]);
        else if (req.execute === 'qom-list') c.reply(req, [null, { type: { toString: 1 } }]);
        else c.reply(req, { ok: true });
      }
    });
    const t = Tmux.start([...CLI, server.path], { NO_COLOR: '1' }, 200, 40);
    try {
      await t.waitFor(/\[unknown\]>$/m);
      t.type('query-name');
      t.keys('Enter');
      const screen = await t.waitFor(/"ok": true\n\}\n.*\[unknown\]>$/m);
      expect(screen).not.toMatch(/internal error/);
      t.keys('C-d');
      expect(await t.exitCode()).toBe(0);
    } finally {
      t.close();
    }
  });
});

describe('numbers no double holds, from the peer', () => {
  it.each(['1e400', '-1e400', '1e-400'])('a reply holding %s: a protocol violation (exit 4), never printed as null or 0', async (text) => {
    const server = await serve(async (c) => {
      await c.negotiate();
      const req = await c.nextRequest();
      c.send(`{"return": {"ratio": ${text}}, "id": ${JSON.stringify(req.id)}}\r\n`);
    });
    const r = await runCli([server.path, 'query-status']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`qmpsh: the server sent a number out of range: the number ${text} ${text === '1e-400' ? 'is too small for a double (it would become 0)' : 'is beyond what a double holds (it would become Infinity, which JSON cannot carry)'}\n`);
    expect(r.code).toBe(4);
  });
});
