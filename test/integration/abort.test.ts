/**
 * The library with an AbortSignal that is already aborted: nothing may be
 * left running. Each case runs as its own Node process (the built library,
 * dist/lib) against a scripted server in this process: the child must end on
 * its own once it has closed its client. A timer left behind (the 60 s
 * command timeout) or a connection made anyway keeps it alive, and it is
 * killed after a generous limit, which fails the test. No timing threshold:
 * only "ends by itself" or "had to be killed".
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, InterruptedError, parseAddress, QmpClient } from '../../src/index.js';
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

describe('an AbortSignal aborted while connecting', () => {
  /** What connect() rejected with: its name, code and message. */
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => ({ name: 'connected', code: undefined as unknown, message: '' }),
      (e: Error & { code?: unknown }) => ({ name: e.name, code: e.code, message: e.message, error: e }),
    );

  it('while the socket connects (the reviewer\'s repro): an AbortError, as for a signal aborted before the call', async () => {
    const server = await serve((conn) => conn.negotiate());
    const ac = new AbortController();
    const p = connect(server.path, { signal: ac.signal });
    queueMicrotask(() => ac.abort());
    const r = await outcome(p);
    expect(r).toMatchObject({ name: 'AbortError', code: 'ERR_INTERRUPTED' });
    expect(r.message).toMatch(/connecting to .* was interrupted/);
    expect((r as { error: unknown }).error).toBeInstanceOf(InterruptedError);
  });

  it('while waiting for the greeting: an AbortError (as it was)', async () => {
    const server = await serve(async (conn) => {
      await conn.closed; // never greets
    });
    const ac = new AbortController();
    const client = new QmpClient(parseAddress(server.path), { signal: ac.signal });
    const p = client.open();
    while (client.state === 'connecting') await new Promise((resolve) => setTimeout(resolve, 5));
    expect(client.state).toBe('greeting');
    ac.abort();
    expect(await outcome(p)).toMatchObject({ name: 'AbortError', code: 'ERR_INTERRUPTED', message: expect.stringMatching(/interrupted while connecting to /) });
  });

  it('while waiting for a socket that is not there yet (waitForSocketMs): an AbortError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmpsh-abort-'));
    try {
      const ac = new AbortController();
      const p = connect(join(dir, 'later.sock'), { signal: ac.signal, waitForSocketMs: 60_000 });
      setTimeout(() => ac.abort(), 120);
      expect(await outcome(p)).toMatchObject({ name: 'AbortError', code: 'ERR_INTERRUPTED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('while listening for QEMU (listen:PATH): an AbortError, and the socket file is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmpsh-abort-'));
    try {
      const path = join(dir, 'listen.sock');
      const ac = new AbortController();
      const p = connect(`listen:${path}`, { signal: ac.signal });
      setTimeout(() => ac.abort(), 120);
      expect(await outcome(p)).toMatchObject({ name: 'AbortError', code: 'ERR_INTERRUPTED', message: expect.stringMatching(/waiting for QEMU on .* was interrupted/) });
      expect(existsSync(path)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
