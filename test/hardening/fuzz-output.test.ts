/**
 * Fuzzing the output formatters with what a peer can send: random JSON
 * (BigInt, huge and odd numbers, keys like "__proto__" and "toString",
 * control characters) and random event shapes (any timestamp, any data).
 * No formatter may throw: whatever the peer sends is shown somehow, and the
 * session goes on.
 */
import { Chalk } from 'chalk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventFilter } from '../../src/events.js';
import { jobsFrom, migrationFrom, RateTracker } from '../../src/jobs/model.js';
import type { JsonValue } from '../../src/protocol/json.js';
import { classify, type EventMessage } from '../../src/protocol/messages.js';
import { maskSecrets } from '../../src/secrets.js';
import { wireLine } from '../../src/cli/core/session.js';
import { compactJson, eventLine, eventTime, prettyJson, PLAIN, type Paint } from '../../src/cli/output/format.js';
import type { Io } from '../../src/cli/output/io.js';
import { renderJobsTable } from '../../src/cli/output/jobs-table.js';
import { migrationSpinnerText, progressReporter, spinnerText } from '../../src/cli/output/progress.js';
import { renderTable } from '../../src/cli/output/table.js';
import { formatValue } from '../../src/cli/output/value.js';
import { runStateAfter } from '../../src/cli/repl/run-state.js';
import { runs } from '../helpers/fuzz.js';

const COLOUR: Paint = new Chalk({ level: 1 });

/** Member names that trip code which reads objects carelessly, and names the formatters look for. */
const key = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom(
    '__proto__', 'toString', 'valueOf', 'constructor', 'hasOwnProperty', 'toJSON',
    'event', 'data', 'timestamp', 'seconds', 'microseconds', 'status', 'id', 'type', 'error',
    'ram', 'total', 'remaining', 'transferred', 'current-progress', 'total-progress', 'error-desc',
    'password', 'command-line', 'execute', 'arguments', 'return',
  ),
);

/** Numbers a peer can write, and some the library user can hand us. */
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.constantFrom(9_000_000_000_000, 8.64e15, 8.64e12, -1, -1e-7, 2 ** 53, 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE, -0, 1e21),
);

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('\u001b[31mred', '\u009b2J', '\u202eabc', 'a\nb\tc', ''));

const leaf: fc.Arbitrary<JsonValue> = fc.oneof(fc.constant(null), fc.boolean(), number, text);

/** Objects built as the parser builds them: own data members, "__proto__" included. */
function objectOf(entries: Array<[string, JsonValue]>): { [k: string]: JsonValue } {
  const out: { [k: string]: JsonValue } = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie('json')), { maxLength: 5 }).map(objectOf),
  ),
}));

/** Events as the session delivers them: anything classify() takes for an event. */
const event: fc.Arbitrary<EventMessage> = fc
  .tuple(
    fc.oneof(text, fc.constantFrom('STOP', 'RESUME', 'SHUTDOWN', 'toString', '__proto__', 'constructor', 'BLOCK_JOB_COMPLETED')),
    fc.oneof(json, fc.tuple(fc.option(number), fc.option(number)).map(([s, u]) => objectOf([...(s === null ? [] : [['seconds', s] as [string, JsonValue]]), ...(u === null ? [] : [['microseconds', u] as [string, JsonValue]])]))),
    fc.option(json),
    fc.array(fc.tuple(key, json), { maxLength: 2 }),
  )
  .map(([name, timestamp, data, more]) =>
    objectOf([...more.filter(([k]) => k !== 'event' && k !== 'return' && k !== 'error'), ['event', name], ['timestamp', timestamp], ...(data === null ? [] : [['data', data] as [string, JsonValue]])]),
  )
  .map((value) => {
    const c = classify(value);
    if (c.kind !== 'event') throw new Error('not an event');
    return c.message;
  });

const io = {
  stdoutIsTTY: true,
  stdout: { columns: 80 },
  outPaint: COLOUR,
} as unknown as Io;

const strings = (...values: unknown[]) => values.every((v) => typeof v === 'string');
/** `npm run fuzz` multiplies the runs (QMPSH_FUZZ_SCALE): the limit grows with them. */
const LIMIT_MS = 30_000 * Math.max(1, Number(process.env.QMPSH_FUZZ_SCALE ?? 1) || 1);

describe('the output formatters take anything a peer sends', () => {
  it('JSON values: compact, pretty (plain and coloured), as a value, in a table, masked for -v', () => {
    fc.assert(
      fc.property(json, fc.boolean(), (value, tty) => {
        const table = renderTable(
          [
            { target: 'a', ok: true, value },
            { target: 'b', ok: false, error: 'boom' },
          ],
          { ...io, stdoutIsTTY: tty } as Io,
        );
        expect(
          strings(
            compactJson(value),
            prettyJson(value, PLAIN),
            prettyJson(value, COLOUR),
            formatValue(value, { pretty: true }, io),
            formatValue(value, { pretty: false }, io),
            table,
            wireLine({ direction: 'in', text: '', value: maskSecrets(value) }),
          ),
        ).toBe(true);
      }),
      { numRuns: runs(1000) },
    );
  }, LIMIT_MS);

  it('events: the event line (--events on stderr, the REPL), its time, the REPL run state, filters', () => {
    fc.assert(
      fc.property(event, json, (e, expected) => {
        expect(strings(eventLine(e, PLAIN), eventLine(e, COLOUR), eventTime(e), compactJson(e))).toBe(true);
        const state = runStateAfter(e);
        expect(state === undefined || typeof state === 'string').toBe(true);
        const accept = eventFilter({ names: ['*'], matches: [{ path: ['data', 'x'], value: expected }] });
        expect(typeof accept(e)).toBe('boolean');
      }),
      { numRuns: runs(2000) },
    );
  }, LIMIT_MS);

  it('jobs and migrations: the model, the --jobs table, progress lines and the spinner text', async () => {
    await fc.assert(
      fc.asyncProperty(json, json, fc.boolean(), number, number, async (jobs, migration, several, done, total) => {
        const states = jobsFrom(jobs);
        const m = migrationFrom(migration);
        const lines = renderJobsTable([{ target: 't', jobs: states, migration: m }], several);
        expect(lines.every((l) => typeof l === 'string')).toBe(true);

        const written: string[] = [];
        const progress = await progressReporter({ isTTY: false, write: (t) => (written.push(t), true) }, { intervalMs: 0 });
        const tracker = new RateTracker();
        for (const job of states) {
          const sample = { label: `${job.type} ${job.id}`, status: job.status, done: job.done, total: job.total };
          progress.update(sample);
          const n = (v: unknown) => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);
          const rate = tracker.sample(n(done), n(total));
          const percent = n(total) === 0 ? 0 : (100 * n(done)) / n(total);
          expect(typeof spinnerText({ ...sample, done: n(done), total: n(total) }, { rate, eta: tracker.eta(n(done), n(total)), percent })).toBe('string');
        }
        progress.update({ label: 'migration', status: m.status, done: m.transferred, total: m.transferred + m.remaining, migration: m });
        expect(typeof migrationSpinnerText('migration', m)).toBe('string');
        progress.note(m.status);
        progress.finish(true, m.status);
        expect(written.every((l) => typeof l === 'string')).toBe(true);
      }),
      { numRuns: runs(500) },
    );
  }, LIMIT_MS);
});
