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
    ['node_modules/vitest/vitest.mjs', 'run', 'test/hardening', 'test/cli/faults.test.ts', 'test/repl', '--reporter=json', `--outputFile=${out}`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
} catch {
  console.error('figures: some tests failed; the table counts only what passed');
}
const results = JSON.parse(readFileSync(out, 'utf8'));
rmSync(dir, { recursive: true, force: true });

const tests = results.testResults.flatMap((file) => file.assertionResults);
const passed = (group) => tests.filter((t) => t.status === 'passed' && t.ancestorTitles[0]?.startsWith(group));
const total = (group) => tests.filter((t) => t.ancestorTitles[0]?.startsWith(group)).length;
const count = (group) => `${passed(group).length} of ${total(group)}`;
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
