// Regenerates README's "Hardening figures" table from the test suite's own
// results: runs the hardening and fault tests with vitest's JSON reporter and
// counts what passed, by group. Nothing in the table is typed by hand.
//   npm run figures
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'qmpsh-figures-'));
const out = join(dir, 'results.json');
try {
  execFileSync(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', 'test/hardening', 'test/cli/faults.test.ts', 'test/repl', 'test/cli/signals.test.ts', 'test/cli/pipes.test.ts', 'test/cli/inject.test.ts', 'test/cli/matrix.test.ts', '--reporter=json', `--outputFile=${out}`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
} catch {
  console.error('figures: some tests failed; the table counts only what passed');
}
const results = JSON.parse(readFileSync(out, 'utf8'));
rmSync(dir, { recursive: true, force: true });

const tests = results.testResults.flatMap((file) => file.assertionResults);
// A group: the tests under a top-level describe whose title starts with a
// string, or matches a RegExp.
const inGroup = (t, group) => {
  const title = t.ancestorTitles[0] ?? '';
  return group instanceof RegExp ? group.test(title) : title.startsWith(group);
};
const passed = (group) => tests.filter((t) => t.status === 'passed' && inGroup(t, group));
const total = (group) => tests.filter((t) => inGroup(t, group)).length;
const count = (group) => `${passed(group).length} of ${total(group)}`;
/** Several groups (top-level describe titles starting with each) as one count. */
const counts = (...groups) => {
  const p = groups.reduce((n, g) => n + passed(g).length, 0);
  const t = groups.reduce((n, g) => n + total(g), 0);
  return `${p} of ${t}`;
};
const numberIn = (group) => {
  const t = passed(group)[0];
  const m = t && /(\d[\d,]*)/.exec(t.title);
  return m ? m[1] : '0';
};

const rows = [
  ['Faults survived with a real QEMU (killed, stopped, held, gone, not permitted)', count('faults with a real QEMU')],
  ['Hostile or broken peers answered with a clear error and exit code', count('hostile peers')],
  ['Bad command lines refused in one-shot mode, nothing sent', count('bad input, one-shot')],
  ['Bad command lines refused in batch mode, naming the line, nothing sent', count('bad input, batch')],
  ['Bad command lines typed into the REPL, which went on', count('bad input, REPL')],
  ['REPL sessions driven in a real terminal (events, history, Ctrl-C, QEMU killed)', `${passed('REPL').length} of ${total('REPL')}`],
  ['Events flooded while a command was pending, all delivered in order', passed('an event flood').length ? numberIn('an event flood') : '0'],
  ['Malformed greetings: one shape check, exit 4 with one line in every mode', counts('the greeting shape', 'a malformed greeting')],
  ['Peer values no formatter foresaw (odd timestamps, numbers no double holds, odd REPL replies): shown, never a crash', counts('event timestamps', 'a REPL peer whose', 'numbers no double holds')],
  ['Output formatters fuzzed with random replies and events: no exception', count('the output formatters take anything')],
  ['Schema cache: names from the wire, a poisoned or stale cache, damaged files', counts('paths from the wire', 'a poisoned or stale schema cache')],
  ['Code cache: flipped, truncated or random bytes mean one normal start', count('a damaged compile cache')],
  ['Secrets: the table through --log, -v and the REPL history', counts('--log and -v mask', 'the REPL keeps every case')],
  ['Signals: INT, TERM, HUP x every mode, exit 128+N, nothing left behind', counts('SIGINT', 'SIGTERM', 'SIGHUP', 'a run that does not unwind', '--launch refuses -daemonize')],
  ['Pipes: a reader that leaves, a stderr that fails, a reader that stalls', counts('a reader that goes away', 'a stderr that cannot be written', 'a reader that stalls')],
  ['Peer text made inert: every mode, a scripted peer and a real QEMU', counts('peer text never reaches', 'a hostile file name')],
  ['Cross-cutting options x modes (read-only, log, -v, colour, timeout, agent)', counts('the matrix is complete', /^--read-only$/, /^--log$/, /^-v$/, /^--no-color/, /^--timeout$/, /^--agent$/)],
];
const table = [
  '| what the test suite proves on every run | count |',
  '| --- | --- |',
  ...rows.map(([what, n]) => `| ${what} | ${n} |`),
].join('\n');

const readme = readFileSync('README.md', 'utf8');
const start = '<!-- figures:start (npm run figures) -->';
const end = '<!-- figures:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md has no figures markers');
writeFileSync('README.md', `${readme.slice(0, a + start.length)}\n${table}\n${readme.slice(b)}`);
console.log(table);
