/**
 * The library with an AbortSignal that is already aborted: nothing may be
 * left running. Each case runs as its own Node process (the built library,
 * dist/lib) against a scripted server in this process: the child must end on
 * its own once it has closed its client. A timer left behind (the 60 s
 * command timeout) or a connection made anyway keeps it alive, and it is
 * killed after a generous limit, which fails the test. No timing threshold:
 * only "ends by itself" or "had to be killed".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useFakeServers } from '../helpers/fake-server.js';
import { KILL_AFTER_MS, runChild } from '../helpers/run-child.js';

const serve = useFakeServers(afterEach);

describe('an AbortSignal aborted before the call', () => {
  it('execute() rejects at once, sends nothing and leaves no timer: the process ends after close()', async () => {
    const server = await serve(async (conn) => {
      await conn.negotiate();
      await conn.nextRequest(); // never answered: nothing should come
    });
    const r = await runChild(
      `
      const client = await QmpClient.connect(socket);
      const controller = new AbortController();
      controller.abort();
      const outcome = await client.execute('query-status', undefined, { signal: controller.signal }).then(
        () => 'resolved',
        (e) => e.code,
      );
      say(outcome);
      client.close();
      await new Promise((r) => setImmediate(r));
      say(holding());
      `,
      server.path,
    );
    expect(r.stderr).toBe('');
    expect(r.killed).toBe(false);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('ERR_INTERRUPTED');
    expect(JSON.parse(r.lines[1] as string)).not.toContain('Timeout');
    // Only the negotiation reached the server.
    expect(server.requests.map((q) => q.execute)).toEqual(['qmp_capabilities']);
  }, KILL_AFTER_MS + 10_000);

  it('connect() refuses without connecting, and the process ends on its own', async () => {
    let connections = 0;
    const server = await serve(async (conn) => {
      connections++;
      await conn.negotiate();
    });
    const r = await runChild(
      `
      const controller = new AbortController();
      controller.abort();
      const outcome = await QmpClient.connect(socket, { signal: controller.signal }).then(
        () => 'connected',
        (e) => e.code,
      );
      say(outcome);
      await new Promise((r) => setImmediate(r));
      say(holding());
      `,
      server.path,
    );
    expect(r.stderr).toBe('');
    expect(r.killed).toBe(false);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('ERR_INTERRUPTED');
    expect(JSON.parse(r.lines[1] as string)).toEqual([]);
    expect(connections).toBe(0);
  }, KILL_AFTER_MS + 10_000);

  it('an agent session (no greeting) refuses the same way', async () => {
    let connections = 0;
    const server = await serve(() => {
      connections++;
    });
    const r = await runChild(
      `
      const controller = new AbortController();
      controller.abort();
      say(await QmpClient.connect(socket, { agent: true, signal: controller.signal }).then(() => 'connected', (e) => e.code));
      `,
      server.path,
    );
    expect(r.killed).toBe(false);
    expect(r.lines).toEqual(['ERR_INTERRUPTED']);
    expect(connections).toBe(0);
  }, KILL_AFTER_MS + 10_000);
});
