/**
 * followJob / followMigration against a scripted peer: the states in order,
 * woken by events, ending at the end state or when the job is gone, and
 * stopped by a signal with an AbortError (the job going on).
 */
import { describe, expect, it } from 'vitest';
import { connect, followJob, followMigration } from '../../src/index.js';
import { createQmpServer } from '../../src/testing/index.js';

const job = (status: string, done: number) => ({ id: 'j1', type: 'backup', status, 'current-progress': done, 'total-progress': 100 });

describe('followJob', () => {
  it('yields each polled state, woken by JOB_STATUS_CHANGE, and ends when the job is gone', async () => {
    const script = [[job('running', 10)], [job('running', 60)], [job('waiting', 100)], []];
    let polls = 0;
    await using server = await createQmpServer({
      commands: {
        'query-jobs': (_args, ctx) => {
          const reply = script[Math.min(polls++, script.length - 1)]!;
          // Each state change announced at once: the follower does not wait its interval.
          ctx.event('JOB_STATUS_CHANGE', { id: 'j1', status: 'x' });
          return reply;
        },
      },
    });
    await using client = await connect(server.path);
    const seen: string[] = [];
    // An hour's interval: only the events can move it on.
    for await (const j of followJob(client, 'j1', { intervalMs: 3_600_000 })) seen.push(`${j.status}:${j.done}`);
    expect(seen).toEqual(['running:10', 'running:60', 'waiting:100']);
    expect(client.listenerCount('event')).toBe(0);
  });

  it('stops on its signal with an AbortError; nothing is sent to the job', async () => {
    await using server = await createQmpServer({ commands: { 'query-jobs': () => [job('running', 1)] } });
    await using client = await connect(server.path);
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const j of followJob(client, 'j1', { signal: controller.signal, intervalMs: 3_600_000 })) {
        seen.push(j.status);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['running']);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ERR_INTERRUPTED' });
    expect(server.requests.map((r) => r.execute)).toEqual(['query-jobs']);
  });
});

describe('followMigration', () => {
  it('yields the migration to completed, woken by MIGRATION events', async () => {
    const states = ['setup', 'active', 'active', 'completed'];
    let polls = 0;
    await using server = await createQmpServer({
      commands: {
        'query-migrate': (_args, ctx) => {
          const status = states[Math.min(polls++, states.length - 1)]!;
          ctx.event('MIGRATION', { status });
          return { status, ram: { total: 100, remaining: 100 - polls * 25, transferred: polls * 25 } };
        },
      },
    });
    await using client = await connect(server.path);
    const seen = [];
    for await (const m of followMigration(client, { intervalMs: 3_600_000 })) seen.push([m.status, m.remaining]);
    expect(seen).toEqual([['setup', 75], ['active', 50], ['active', 25], ['completed', 0]]);
  });
});
