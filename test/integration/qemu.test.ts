/** The library against a real QEMU (Debian's qemu-system-x86, -M none). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpClient } from '../../src/session.js';
import { runHmp } from '../../src/hmp.js';
import { CommandError, HmpError, MonitorBusyError } from '../../src/errors.js';
import type { EventMessage } from '../../src/protocol/messages.js';
import { holdMonitor, startQemu, type Qemu } from '../helpers/qemu.js';

let qemu: Qemu;
beforeAll(async () => {
  qemu = await startQemu({ monitors: ['plain', 'pretty', 'plain'], tcp: true });
});
afterAll(async () => {
  await qemu?.stop();
});

describe('QmpClient against QEMU', () => {
  it('negotiates and runs query-status and query-version', async () => {
    const client = await QmpClient.connect(qemu.sock);
    expect(client.greeting.QMP.version.qemu.major).toBeGreaterThanOrEqual(7);
    expect(await client.execute('query-status')).toMatchObject({ status: expect.any(String) });
    expect(await client.execute('query-version')).toMatchObject({ qemu: { major: expect.any(Number) } });
    client.close();
  });

  it('delivers STOP and RESUME, the event before the reply that caused it', async () => {
    const client = await QmpClient.connect(qemu.sock);
    const seen: string[] = [];
    client.on('event', (e: EventMessage) => seen.push(e.event));
    await client.execute('stop');
    seen.push('stop returned');
    await client.execute('cont');
    seen.push('cont returned');
    expect(seen).toEqual(['STOP', 'stop returned', 'RESUME', 'cont returned']);
    client.close();
  });

  it('reports an unknown command as CommandError CommandNotFound', async () => {
    const client = await QmpClient.connect(qemu.sock);
    const err = await client.execute('no-such-command').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).errorClass).toBe('CommandNotFound');
    // The session goes on.
    expect(await client.execute('query-status')).toBeTruthy();
    client.close();
  });

  it('round-trips a uint64 exactly (max-bandwidth = 2^64-1)', async () => {
    const client = await QmpClient.connect(qemu.sock);
    await client.execute('migrate-set-parameters', { 'max-bandwidth': 18446744073709551615n });
    const params = (await client.execute('query-migrate-parameters')) as Record<string, unknown>;
    expect(params['max-bandwidth']).toBe(18446744073709551615n);
    await client.execute('migrate-set-parameters', { 'max-bandwidth': 134217728 });
    client.close();
  });

  it('runs HMP and detects HMP errors', async () => {
    const client = await QmpClient.connect(qemu.sock);
    expect(await runHmp(client, 'info status')).toMatch(/^VM status: /);
    await expect(runHmp(client, 'nosuch')).rejects.toBeInstanceOf(HmpError);
    await expect(runHmp(client, 'device_del nosuchdev')).rejects.toThrow(/Error: Device 'nosuchdev' not found/);
    client.close();
  });

  it('fetches query-qmp-schema (~200 KB over many reads) intact', async () => {
    const client = await QmpClient.connect(qemu.sock);
    const schema = (await client.execute('query-qmp-schema')) as Array<{ name: string }>;
    expect(schema.length).toBeGreaterThan(1000);
    expect(schema.some((e) => e.name === 'query-status')).toBe(true);
    client.close();
  });

  it('works on a pretty=on monitor', async () => {
    const client = await QmpClient.connect(qemu.sockets[1] as string);
    expect(await client.execute('query-status')).toMatchObject({ status: expect.any(String) });
    const schema = (await client.execute('query-qmp-schema')) as unknown[];
    expect(schema.length).toBeGreaterThan(1000);
    client.close();
  });

  it('works over TCP', async () => {
    const client = await QmpClient.connect(`127.0.0.1:${qemu.tcpPort}`);
    expect(await client.execute('query-status')).toMatchObject({ status: expect.any(String) });
    client.close();
  });

  it('reports a monitor held by another client as busy within the connect timeout', async () => {
    const holder = await holdMonitor(qemu.sockets[2] as string);
    try {
      const started = Date.now();
      await expect(QmpClient.connect(qemu.sockets[2] as string, { connectTimeoutMs: 500 })).rejects.toBeInstanceOf(
        MonitorBusyError,
      );
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      holder.release();
    }
  });
});

describe('quit against QEMU', () => {
  it('succeeds whether its reply or EOF comes first, and SHUTDOWN is delivered', async () => {
    const own = await startQemu();
    try {
      const client = await QmpClient.connect(own.sock);
      const events: string[] = [];
      client.on('event', (e: EventMessage) => events.push(e.event));
      const closed = new Promise<unknown>((resolve) => client.on('close', resolve));
      await expect(client.execute('quit')).resolves.toEqual({});
      expect(await closed).toBeUndefined(); // an expected end, not an error
      expect(events).toContain('SHUTDOWN');
      expect(await own.exited).toBe(0);
    } finally {
      await own.stop();
    }
  });
});
