/**
 * Every time limit the library takes from its user goes through one check
 * (src/timeouts.ts) before it reaches a timer. Node's setTimeout holds at
 * most 2^31-1 ms: a limit of 3e9 or Infinity used to fire after 1 ms, so a
 * session with a "very long" limit failed at once ("within 3000000s"). Here a
 * scripted server answers slowly (greeting, replies, events each 100 ms
 * late): Infinity and 0 (no limit) and the longest timer wait for it; what
 * no timer can hold (3e9, -5, 0.4, NaN) is refused at the call, naming the
 * option, instead of firing at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, followJob, OptionRangeError, OptionTypeError, QmpClient, parseAddress } from '../../src/index.js';
import { MAX_TIMER_MS } from '../../src/timeouts.js';
import { useFakeServers, type FakeConnection } from '../helpers/fake-server.js';
import { KILL_AFTER_MS, runChild } from '../helpers/run-child.js';

const serve = useFakeServers(afterEach);
const LATE_MS = 100;
const late = () => new Promise((resolve) => setTimeout(resolve, LATE_MS));

/** Greets late, then answers every request late; `make-event` sends the event X (late too). */
async function slowServer(conn: FakeConnection): Promise<void> {
  await late();
  conn.greet();
  for (;;) {
    const request = await conn.nextRequest();
    await late();
    if (request.execute === 'make-event') conn.event('X');
    conn.reply(request, {});
  }
}

describe('no limit, and the longest limit, wait (they used to fail after 1 ms)', () => {
  it.each([Infinity, MAX_TIMER_MS, 0])('connectTimeoutMs %d: connects to a server that greets late', async (ms) => {
    const server = await serve(slowServer);
    const qmp = await connect(server.path, { connectTimeoutMs: ms });
    expect(qmp.state).toBe('ready');
    await qmp.close();
  });

  it.each([Infinity, MAX_TIMER_MS, 0])('commandTimeoutMs %d: a late reply arrives', async (ms) => {
    const server = await serve(slowServer);
    const qmp = await connect(server.path, { commandTimeoutMs: ms });
    await expect(qmp.execute('query-status')).resolves.toEqual({});
    await qmp.close();
  });

  it.each([Infinity, MAX_TIMER_MS, 0])('execute(..., { timeoutMs: %d }): a late reply arrives', async (ms) => {
    const server = await serve(slowServer);
    const qmp = await connect(server.path);
    await expect(qmp.execute('query-status', undefined, { timeoutMs: ms })).resolves.toEqual({});
    await qmp.close();
  });

  it.each([Infinity, MAX_TIMER_MS, 0])("waitForEvent('X', { timeoutMs: %d }): a late event arrives", async (ms) => {
    const server = await serve(slowServer);
    const qmp = await connect(server.path);
    const x = qmp.waitForEvent('X', { timeoutMs: ms });
    await qmp.execute('make-event');
    await expect(x).resolves.toMatchObject({ event: 'X' });
    await qmp.close();
  });

  it('a short limit still expires, and says so in seconds', async () => {
    const server = await serve(slowServer);
    const qmp = await connect(server.path);
    await expect(qmp.execute('query-status', undefined, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'QMP_TIMEOUT', message: expect.stringMatching(/within 0.02s/) });
    await qmp.close();
  });

  it('in a process of its own: no TimeoutOverflowWarning, and nothing left when closed', async () => {
    const server = await serve(slowServer);
    const r = await runChild(
      `
      const qmp = await QmpClient.connect(socket, { connectTimeoutMs: Infinity, commandTimeoutMs: Infinity });
      say(await qmp.execute('query-status', undefined, { timeoutMs: ${MAX_TIMER_MS} }));
      const x = qmp.waitForEvent('X', { timeoutMs: Infinity });
      await qmp.execute('make-event');
      say((await x).event);
      await qmp.close();
      `,
      server.path,
    );
    expect(r.stderr).toBe('');
    expect(r.killed).toBe(false);
    expect(r.lines).toEqual(['{}', 'X']);
  }, KILL_AFTER_MS + 10_000);
});

describe('bad limits are refused, naming the option', () => {
  it.each([
    ['connectTimeoutMs', -5, OptionRangeError, /connectTimeoutMs must be 0 or more/],
    ['connectTimeoutMs', 0.4, OptionRangeError, /connectTimeoutMs 0.4 is below a millisecond/],
    ['connectTimeoutMs', NaN, OptionRangeError, /connectTimeoutMs must be 0 or more milliseconds, not NaN/],
    ['connectTimeoutMs', 2 ** 31, OptionRangeError, /connectTimeoutMs 2147483648 is too long for a timer/],
    ['connectTimeoutMs', 3e9, OptionRangeError, /connectTimeoutMs 3000000000 is too long for a timer: give 1 to 2147483647 ms \(about 24.8 days\), or 0 for no limit/],
    ['commandTimeoutMs', 3e9, OptionRangeError, /commandTimeoutMs 3000000000 is too long for a timer/],
    ['commandTimeoutMs', -1, OptionRangeError, /commandTimeoutMs must be 0 or more/],
    ['commandTimeoutMs', '5000', OptionTypeError, /commandTimeoutMs must be a number of milliseconds, not string/],
    ['waitForSocketMs', 3e9, OptionRangeError, /waitForSocketMs 3000000000 is too long/],
    ['waitForSocketMs', 0.5, OptionRangeError, /waitForSocketMs 0.5 is below a millisecond/],
  ])('%s: %s', async (option, value, type, message) => {
    let connections = 0;
    const server = await serve(async (conn) => {
      connections++;
      await conn.negotiate();
    });
    const error = await connect(server.path, { [option]: value }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(type === OptionRangeError ? RangeError : TypeError);
    expect(error).toMatchObject({ option, code: type === OptionRangeError ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(message) });
    expect(() => new QmpClient(parseAddress(server.path), { [option]: value })).toThrow(type);
    expect(connections).toBe(0);
  });

  it('execute() and waitForEvent() reject, and nothing is sent', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      for (;;) conn.reply(await conn.nextRequest(), {});
    });
    const qmp = await connect(server.path);
    for (const ms of [-1, 0.4, NaN, 3e9]) {
      await expect(qmp.execute('query-status', undefined, { timeoutMs: ms })).rejects.toMatchObject({ name: 'RangeError', option: 'timeoutMs' });
      await expect(qmp.waitForEvent('X', { timeoutMs: ms })).rejects.toMatchObject({ name: 'RangeError', option: 'timeoutMs' });
    }
    expect(server.requests.map((r) => r.execute)).toEqual(['qmp_capabilities']);
    // The session is fine.
    await expect(qmp.execute('query-status')).resolves.toEqual({});
    await qmp.close();
  });

  it("followJob's intervalMs is checked too", async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      for (;;) conn.reply(await conn.nextRequest(), []);
    });
    const qmp = await connect(server.path);
    const follow = followJob(qmp, 'j1', { intervalMs: Infinity });
    await expect(follow.next()).rejects.toMatchObject({ name: 'RangeError', option: 'intervalMs' });
    await qmp.close();
  });
});
