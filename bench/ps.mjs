// qmpsh ps over 200 QEMU-like processes: each a `sleep` whose argv[0] is
// qemu-system-x86_64 and whose command line has QEMU's shapes (-name,
// -qmp unix:...,server=on,wait=off, -chardev + -mon), beside one real QEMU.
// Times `qmpsh ps` (NDJSON), `qmpsh @NAME query-status` (a listing, then a
// one-shot) and a plain one-shot, interleaved; medians and ratios, printed.
// No thresholds.
//   node bench/ps.mjs          (BENCH_PS=N fake processes, BENCH_RUNS=R rounds)
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fail, quantile, root, startQemu } from './common.mjs';

const N = Number(process.env.BENCH_PS) || 200;
const RUNS = Number(process.env.BENCH_RUNS) || 9;
const tag = `bench${process.pid}`;
const fakes = [];
process.on('exit', () => fakes.forEach((p) => p.kill('SIGKILL')));
for (let i = 0; i < N; i++) {
  const name = `fake${i}-${tag}`;
  const shape =
    i % 2 === 0
      ? ['-name', `guest=${name},debug-threads=on`, '-qmp', `unix:/nonexistent/${name}.qmp,server=on,wait=off`]
      : ['-name', name, '-chardev', `socket,id=qmp,path=/nonexistent/${name}.qmp,server=on,wait=off`, '-mon', 'chardev=qmp,mode=control'];
  // exec -a sets argv[0]: /proc/PID/cmdline reads like QEMU's. The process is
  // a bash waiting on `read` (its stdin a pipe we hold): it takes no options
  // after -c CMD, so QEMU's words can follow.
  fakes.push(spawn('bash', ['-c', 'exec -a qemu-system-x86_64 bash -c read "$@"', 'bash', '-M', 'none', ...shape], { stdio: ['pipe', 'ignore', 'ignore'] }));
}
const real = await startQemu();
await new Promise((r) => setTimeout(r, 500));
const qmpsh = join(root, 'bin/qmpsh.cjs');
// The real QEMU's pid, to call it by @PID.
const listed = spawnSync(process.execPath, [qmpsh, 'ps'], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => JSON.parse(l));
const seen = listed.filter((v) => v.name?.endsWith(tag)).length;
if (seen !== N) fail(`qmpsh ps saw ${seen} of the ${N} fake processes`);
const vm = listed.find((v) => v.monitors.some((m) => m.address === real.sock));
if (!vm) fail('qmpsh ps did not list the real QEMU');

const cells = [
  { name: 'one-shot (socket path)', args: [qmpsh, real.sock, 'query-status'] },
  { name: `qmpsh ps (${listed.length} QEMUs)`, args: [qmpsh, 'ps'] },
  { name: 'qmpsh @PID query-status', args: [qmpsh, `@${vm.pid}`, 'query-status'] },
].map((c) => ({ ...c, ms: [] }));

function run(c) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) fail(`${c.name}: exit ${r.status}: ${r.stderr}`);
  return ms;
}
for (const c of cells) run(c);
for (let i = 0; i < RUNS; i++) for (let j = 0; j < cells.length; j++) cells[(i + j) % cells.length].ms.push(run(cells[(i + j) % cells.length]));

const [oneshot, ps, named] = cells.map((c) => quantile(c.ms, 0.5));
console.log(`qmpsh ps benchmark: ${N} fake QEMU processes + QEMU ${real.version} (-M none), node ${process.version}; ${RUNS} runs, medians\n`);
for (const c of cells) console.log(`  ${c.name.padEnd(28)} ${quantile(c.ms, 0.5).toFixed(0).padStart(6)} ms  (p90 ${quantile(c.ms, 0.9).toFixed(0)} ms)`);
console.log(`\n  ps / one-shot:        ${(ps / oneshot).toFixed(2)}x`);
console.log(`  @PID / one-shot:      ${(named / oneshot).toFixed(2)}x`);
process.exit(0);
