// Batch throughput: N `query-status` lines on stdin, one session, against one
// QEMU. qmpsh as shipped (read-only commands pipelined), qmpsh in lock-step
// (QMPSH_PIPELINE_DEPTH=1), and a raw node:net lock-step client, interleaved.
//   node bench/batch.mjs          (BENCH_BATCH=N lines, BENCH_BATCH_RUNS=R rounds)
// A benchmark, not a test: exit 1 only when a client's output is wrong.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fail, quantile, root, startQemu } from './common.mjs';

const N = Number(process.env.BENCH_BATCH) || 10_000;
const RUNS = Number(process.env.BENCH_BATCH_RUNS) || 5;
const TARGET = 0.9; // qmpsh commands/s over the raw lock-step client's

const qemu = await startQemu();
const script = 'query-status\n'.repeat(N);
const qmpsh = join(root, 'bin/qmpsh.cjs');
const tools = [
  { name: 'raw node, lock-step', args: [join(root, 'bench/raw-batch.mjs'), qemu.sock, 'query-status', String(N)] },
  { name: 'qmpsh (pipelined)', args: [qmpsh, qemu.sock], input: script },
  { name: 'qmpsh lock-step', args: [qmpsh, qemu.sock], input: script, env: { QMPSH_PIPELINE_DEPTH: '1' }, reference: true },
].map((t) => ({ ...t, rates: [] }));

function runOnce(tool) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, tool.args, {
    input: tool.input ?? '',
    encoding: 'latin1',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...tool.env },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const lines = r.stdout.trimEnd().split('\n');
  if (r.status !== 0) fail(`${tool.name}: exit ${r.status}: ${r.stderr}`);
  if (lines.length !== N || !lines.every((l) => l.includes('"status"'))) {
    fail(`${tool.name}: expected ${N} status lines, got ${lines.length}`);
  }
  return N / seconds;
}

for (const t of tools) runOnce(t); // warm-up, and rejects a broken client early
for (let i = 0; i < RUNS; i++) {
  for (let j = 0; j < tools.length; j++) {
    const t = tools[(i + j) % tools.length];
    t.rates.push(runOnce(t));
  }
}

const raw = quantile(tools[0].rates, 0.5);
console.log(`qmpsh batch benchmark: ${N} x query-status on stdin, QEMU ${qemu.version} (-M none), node ${process.version}`);
console.log(`${RUNS} runs per client, interleaved; whole-process wall time (start-up included)\n`);
console.log(`${'client'.padEnd(22)}${'median cmd/s'.padStart(14)}${'min'.padStart(9)}${'max'.padStart(9)}   vs raw`);
for (const t of tools) {
  const med = quantile(t.rates, 0.5);
  const ratio = med / raw;
  const verdict =
    t === tools[0] ? '' : t.reference ? `${ratio.toFixed(2)}x (reference)` : `${ratio.toFixed(2)}x (>= ${TARGET}x) ${ratio >= TARGET ? 'PASS' : 'MISS'}`;
  console.log(`${t.name.padEnd(22)}${med.toFixed(0).padStart(14)}${Math.min(...t.rates).toFixed(0).padStart(9)}` +
    `${Math.max(...t.rates).toFixed(0).padStart(9)}   ${verdict}`);
}
console.log(`
qmpsh as shipped pipelines runs of read-only commands (at most 8 in flight) on a
session with QEMU's oob capability, so QEMU parses the next request while it runs
one. The lock-step row is for reference: every qmpsh request carries an id, and
QEMU's JSON parser pays per token (measured here: ~20% fewer requests/s with an
id than without, pipelined or not), which a raw client without ids does not.`);
process.exit(0);
