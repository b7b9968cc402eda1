// The schema's cost to a one-shot: with a warm cache vs no schema use at all
// (QMPSH_NO_VALIDATE=1), for a command without arguments (the small commands
// index is read) and one with arguments (the whole schema is read and used to
// type them); and the cold case: query-qmp-schema fetched and the cache written.
//   node bench/schema.mjs          (BENCH_RUNS=N overrides 30)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, quantile, root, startQemu } from './common.mjs';

const RUNS = Number(process.env.BENCH_RUNS) || 30;
const TARGET = 1.05;
const qemu = await startQemu();
const warmCache = mkdtempSync(join(tmpdir(), 'qmpsh-bench-cache-'));
process.on('exit', () => rmSync(warmCache, { recursive: true, force: true }));

const commands = {
  'query-status': ['query-status'],
  'human-monitor-command command-line=...': ['human-monitor-command', 'command-line=info version'],
};
function run(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(root, 'bin/qmpsh.cjs'), qemu.sock, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) fail(`qmpsh ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

const cells = [];
for (const [name, args] of Object.entries(commands)) {
  cells.push({ name, variant: 'no schema', args, env: () => ({ QMPSH_NO_VALIDATE: '1', XDG_CACHE_HOME: warmCache }), ms: [] });
  cells.push({ name, variant: 'warm cache', args, env: () => ({ XDG_CACHE_HOME: warmCache }), ms: [] });
  cells.push({
    name,
    variant: 'cold (fetch + write)',
    args,
    // A new cache dir each run, holding only the CLI's compile cache: the
    // schema is fetched and written every time, nothing else is cold.
    env: () => {
      const dir = mkdtempSync(join(warmCache, 'cold-'));
      mkdirSync(join(dir, 'qmpsh'));
      for (const f of readdirSync(join(warmCache, 'qmpsh')).filter((n) => n.endsWith('.v8'))) {
        copyFileSync(join(warmCache, 'qmpsh', f), join(dir, 'qmpsh', f));
      }
      return { XDG_CACHE_HOME: dir };
    },
    ms: [],
  });
}
for (const c of cells) run(c.args, c.env()); // warms the cache and the compile cache
for (let i = 0; i < RUNS; i++) {
  for (let j = 0; j < cells.length; j++) {
    const c = cells[(i + j) % cells.length];
    c.ms.push(run(c.args, c.env()));
  }
}

console.log(`qmpsh schema benchmark: QEMU ${qemu.version}, node ${process.version}; ${RUNS} runs per cell, interleaved, medians\n`);
for (const [name] of Object.entries(commands)) {
  const [none, warm, cold] = cells.filter((c) => c.name === name).map((c) => quantile(c.ms, 0.5));
  const ratio = warm / none;
  console.log(`${name}`);
  console.log(`  no schema use        ${none.toFixed(1)} ms`);
  console.log(`  warm schema cache    ${warm.toFixed(1)} ms   ${ratio.toFixed(2)}x (<= ${TARGET}x) ${ratio <= TARGET ? 'PASS' : 'MISS'}`);
  console.log(`  cold: fetch + cache  ${cold.toFixed(1)} ms   (+${(cold - none).toFixed(1)} ms, once per QEMU build)`);
}
process.exit(0);
