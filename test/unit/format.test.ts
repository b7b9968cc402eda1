import { describe, expect, it } from 'vitest';
import { jobsFrom, migrationFrom } from '../../src/jobs/model.js';
import { parseJson } from '../../src/protocol/json.js';
import type { EventMessage } from '../../src/protocol/messages.js';
import { eventLine, eventTime, PLAIN, rawText } from '../../src/cli/output/format.js';
import { renderJobsTable } from '../../src/cli/output/jobs-table.js';
import { spinnerText } from '../../src/cli/output/progress.js';
import { runStateAfter } from '../../src/cli/repl/run-state.js';

const event = (json: string) => parseJson(json) as unknown as EventMessage;

describe('eventTime', () => {
  it.each([
    ['{"event": "STOP", "timestamp": {"seconds": 1700000000, "microseconds": 58949}}', '2023-11-14T22:13:20.058949Z'],
    ['{"event": "STOP", "timestamp": {"seconds": 0, "microseconds": 0}}', '1970-01-01T00:00:00.000000Z'],
    ['{"event": "STOP", "timestamp": {"seconds": 1700000000}}', '2023-11-14T22:13:20.000000Z'],
    ['{"event": "STOP", "timestamp": {"seconds": 9000000000000, "microseconds": 1}}', '{"seconds":9000000000000,"microseconds":1}'],
    ['{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 99999999999999999999}}', '{"seconds":1,"microseconds":99999999999999999999}'],
    ['{"event": "STOP", "timestamp": {"seconds": 99999999999999999999, "microseconds": 0}}', '{"seconds":99999999999999999999,"microseconds":0}'],
    ['{"event": "STOP", "timestamp": {"seconds": 1.5, "microseconds": 0}}', '{"seconds":1.5,"microseconds":0}'],
    ['{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": -1}}', '{"seconds":1,"microseconds":-1}'],
    ['{"event": "STOP", "timestamp": {"seconds": "1", "microseconds": 0}}', '{"seconds":"1","microseconds":0}'],
    ['{"event": "STOP", "timestamp": {"microseconds": 0}}', '-'],
    ['{"event": "STOP", "timestamp": null}', '-'],
    ['{"event": "STOP"}', '-'],
  ])('%s -> %s', (json, shown) => {
    expect(eventTime(event(json))).toBe(shown);
    expect(eventLine(event(json), PLAIN)).toBe(`event STOP ${shown}`);
  });
});

describe('peer values that String() cannot take', () => {
  const trap = parseJson('{"toString": 1, "valueOf": 2}');

  it('rawText shows anything, never throws', () => {
    expect(rawText(trap)).toBe('{"toString":1,"valueOf":2}');
    expect(rawText(10n ** 30n)).toBe('1000000000000000000000000000000');
    expect(rawText(undefined)).toBe('undefined');
  });

  it('jobs and migrations: ids, types and states as their JSON; the table and the spinner draw them', () => {
    const jobs = jobsFrom(parseJson('[{"id": {"toString": 1}, "type": 5, "status": null, "current-progress": -10, "total-progress": 0}, null, 7]'));
    expect(jobs[0]).toMatchObject({ id: '{"toString":1}', type: '5', status: 'null', done: -10, total: 0 });
    const m = migrationFrom(parseJson('{"status": {"toString": 1}, "ram": {"total": 100, "remaining": 1000}}'));
    expect(m.status).toBe('none');
    const lines = renderJobsTable([{ target: 't', jobs, migration: { ...m, status: 'active' } }], true);
    expect(lines[1]).toMatch(/^t\s+\{"toString":1\}\s+5\s+null/);
    // A negative or NaN percent still draws an empty bar.
    expect(spinnerText({ label: 'x', status: 'running', done: -10, total: 10 }, { rate: 0, eta: undefined, percent: -100 })).toMatch(/\[-{20}\] -100\.0%/);
    expect(spinnerText({ label: 'x', status: 'running', done: 1, total: 0 }, { rate: NaN, eta: NaN, percent: NaN })).toMatch(/\[-{20}\] NaN%/);
  });

  it('the REPL run state takes only its own event names', () => {
    expect(runStateAfter(event('{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 0}}'))).toBe('paused');
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(runStateAfter({ event: name, timestamp: { seconds: 1, microseconds: 0 } })).toBeUndefined();
    }
  });
});
