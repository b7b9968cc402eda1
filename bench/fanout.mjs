// Fan-out: query-status on 32 QEMUs with one qmpsh, vs a shell loop of 32
// one-shots, vs a single one-shot, interleaved in one run.
// Target: the fan-out within 2x the time of a single one-shot.
//   node bench/fanout.mjs          (BENCH_FANOUT=N QEMUs, BENCH_RUNS=R rounds)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, quantile, root, startQemu } from './common.mjs';

const N = Number(process.env.BENCH_FANOUT) || 32;
const RUNS = Number(process.env.BENCH_RUNS) || 7;
const TARGET = 2.0;
const qemus = await Promise.all(Array.from({ length: N }, () => startQemu()));
const dir = mkdtempSync(join(tmpdir(), 'qmpsh-bench-fan-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
qemus.forEach((q, i) => symlinkSync(q.sock, join(dir, `vm${String(i).padStart(2, '0')}.qmp`)));
const qmpsh = join(root, 'bin/qmpsh.cjs');

const cells = [
  { name: 'one one-shot', cmd: process.execPath, args: [qmpsh, qemus[0].sock, 'query-status'], lines: 1 },
  { name: `fan-out over ${N}`, cmd: process.execPath, args: [qmpsh, `${dir}/vm*.qmp`, 'query-status'], lines: N },
  {
    name: `shell loop of ${N}`,
    cmd: 'sh',
    args: ['-c', `for s in ${dir}/vm*.qmp; do "${process.execPath}" "${qmpsh}" "$s" query-status || exit 1; done`],
    lines: N,
  },
].map((c) => ({ ...c, ms: [] }));

function run(c) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c.cmd, c.args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const got = r.stdout.trim().split('\n').filter((l) => l.includes('running')).length;
  if (r.status !== 0 || got !== c.lines) fail(`${c.name}: exit ${r.status}, ${got} of ${c.lines} replies: ${r.stderr}`);
  return ms;
}
for (const c of cells) run(c);
for (let i = 0; i < RUNS; i++) for (let j = 0; j < cells.length; j++) cells[(i + j) % cells.length].ms.push(run(cells[(i + j) % cells.length]));

const [single, fan, loop] = cells.map((c) => quantile(c.ms, 0.5));
console.log(`qmpsh fan-out benchmark: query-status on ${N} QEMUs (-M none), node ${process.version}; ${RUNS} runs, medians\n`);
for (const c of cells) console.log(`  ${c.name.padEnd(20)} ${quantile(c.ms, 0.5).toFixed(0).padStart(6)} ms`);
const ratio = fan / single;
console.log(`\n  fan-out / one one-shot: ${ratio.toFixed(2)}x (<= ${TARGET}x) ${ratio <= TARGET ? 'PASS' : 'MISS'}`);
console.log(`  shell loop / fan-out:   ${(loop / fan).toFixed(1)}x`);
process.exit(0);
