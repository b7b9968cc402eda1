// One-shot latency and memory of `qmpsh SOCK CMD` against the floor for Node
// (bench/raw-client.mjs) and socat, on a throwaway QEMU; and of the
// single-file executable (build/qmpsh-linux-x64, built here first), as ratios
// against the same run's raw Node client.
//   node bench/oneshot.mjs            (BENCH_RUNS=N overrides the 30 timed runs;
//                                      BENCH_SINGLE=0 leaves the single file out)
// A benchmark, not a test: exits 0 whether targets are met or not, and 1 only
// when something is broken (QEMU does not come up, a client prints a wrong reply).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fail, quantile, root, startQemu } from './common.mjs';

const RUNS = Number(process.env.BENCH_RUNS) || 30;
const MEM_RUNS = 5;
const GNU_TIME = '/usr/bin/time';
// socat cannot tell when a reply is complete; -t caps how long it waits after
// its stdin ends. It is a cap, not a fixed linger: once QEMU has answered the
// half-closed input it closes the connection and socat exits then (probed:
// -t 2 takes as long as -t 0.1). The smallest -t that returned the whole
// schema every time was 0.1 s (0.05 s lost it 1 in 20) since QEMU needs
// ~30 ms to build it; 0.5 s keeps a margin under load and costs nothing.
const SOCAT_T = '0.5';
const TARGETS = { 'query-status': 1.1, 'query-qmp-schema': 1.3 }; // time, qmpsh/raw
const MEM_TARGET = 1.15;
let sockPath;
const SINGLE = process.env.BENCH_SINGLE === '0' ? undefined : join(root, 'build/qmpsh-linux-x64');

function tools(cmd) {
  return [
    { name: 'qmpsh', file: process.execPath, args: [join(root, 'bin/qmpsh.cjs'), sockPath, cmd] },
    { name: 'raw node', file: process.execPath, args: [join(root, 'bench/raw-client.mjs'), sockPath, cmd] },
    // Same bytes as `printf ... | socat`, fed directly so no shell start-up is timed.
    { name: `socat -t ${SOCAT_T}`, file: 'socat', args: ['-t', SOCAT_T, '-', `UNIX-CONNECT:${sockPath}`],
      input: `{"execute":"qmp_capabilities"}\n{"execute":"${cmd}"}\n` },
    ...(SINGLE ? [{ name: 'single file', file: SINGLE, args: [sockPath, cmd] }] : []),
  ];
}

// Each client prints something different (qmpsh: the return value; raw: the
// reply line; socat: everything QEMU sent), but in each the last line holds
// the return value, bare or as {"return": ...}.
function checkOutput(cmd, tool, r) {
  if (r.signal === 'SIGINT') process.exit(130);
  const out = r.stdout;
  const why = (() => {
    if (r.error) return r.error.message;
    if (r.status !== 0) return `exit status ${r.status ?? r.signal}: ${String(r.stderr).trim()}`;
    let v;
    try { v = JSON.parse(out.trimEnd().split('\n').pop()); } catch { return 'last line is not JSON'; }
    if (v && typeof v === 'object' && !Array.isArray(v) && 'return' in v) v = v.return;
    if (cmd === 'query-status') return typeof v?.status === 'string' ? null : 'no status in reply';
    if (out.length < 180_000 || out.length > 215_000) return `${out.length} bytes, expected ~180-210 KB`;
    return Array.isArray(v) && v.some((e) => e.name === 'query-qmp-schema') ? null : 'not a schema';
  })();
  if (why) fail(`${tool.name} ${cmd}: ${why}\n--- stdout (first 300 bytes):\n${String(out).slice(0, 300)}`);
  return out.length;
}

// `wrap` prefixes a command line (GNU time); stdin is always given so no
// client waits on the terminal.
function run(tool, wrap = []) {
  const [file, ...args] = [...wrap, tool.file, ...tool.args];
  return spawnSync(file, args, { input: tool.input ?? '', encoding: 'latin1', maxBuffer: 16 << 20 });
}

function timed(cmd, tool) {
  const t0 = process.hrtime.bigint();
  const r = run(tool);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  checkOutput(cmd, tool, r);
  return ms;
}

// GNU time appends "%M" (peak RSS, KiB) as the last line of stderr.
function peakRssKiB(cmd, tool) {
  const r = run(tool, [GNU_TIME, '-f', '%M']);
  const kib = Number(String(r.stderr).trim().split('\n').pop());
  checkOutput(cmd, tool, { ...r, stderr: '' });
  if (!Number.isFinite(kib)) fail(`${GNU_TIME} printed no %M for ${tool.name}`);
  return kib;
}

function haveGnuTime() {
  if (!existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+$/.test(r.stderr.trim());
}

// --- main ---------------------------------------------------------------

if (!existsSync(join(root, 'dist/cli.cjs'))) fail('dist/cli.cjs is missing: run `npm run build` (or `npm run bench`)');
if (SINGLE) {
  const built = spawnSync(process.execPath, [join(root, 'scripts/build-single.mjs')], { encoding: 'utf8', env: { ...process.env, QMPSH_SINGLE_OUT: SINGLE } });
  if (built.status !== 0) fail(`the single file did not build (BENCH_SINGLE=0 leaves it out):\n${built.stderr}`);
}
const qemu = await startQemu();
sockPath = qemu.sock;

const commands = Object.keys(TARGETS);
const cells = commands.flatMap((cmd) => tools(cmd).map((tool) => ({ cmd, tool, ms: [], kib: [], bytes: 0 })));

// One untimed round: warms the page cache and rejects a broken client before
// any time is spent measuring it.
for (const c of cells) c.bytes = checkOutput(c.cmd, c.tool, run(c.tool));

// Round-robin, with the starting cell rotating each round, so drifting noise
// (CPU frequency, other load, QEMU's heap) lands on every cell alike.
for (let i = 0; i < RUNS; i++) {
  for (let j = 0; j < cells.length; j++) {
    const c = cells[(i + j) % cells.length];
    c.ms.push(timed(c.cmd, c.tool));
  }
}

// Memory in separate runs: GNU time's fork/wait would otherwise add to the times.
const memory = haveGnuTime();
if (memory) {
  for (let i = 0; i < MEM_RUNS; i++) for (const c of cells) c.kib.push(peakRssKiB(c.cmd, c.tool));
} else {
  console.log(`note: GNU time not found at ${GNU_TIME}; skipping memory. Install it with: apt-get install time`);
}

// --- report -------------------------------------------------------------

const f1 = (x) => x.toFixed(1);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
console.log(`qmpsh one-shot benchmark: QEMU ${qemu.version} (-M none), node ${process.version}`);
console.log(`${RUNS} timed runs per cell, interleaved; wall time around spawnSync` +
  (memory ? `; peak RSS = median of ${MEM_RUNS} runs under ${GNU_TIME} -f %M` : ''));
console.log();
console.log(`${pad('command', 18)}${pad('tool', 14)}${lpad('median ms', 10)}${lpad('p90 ms', 9)}` +
  `${lpad('peak RSS MB', 13)}${lpad('stdout B', 10)}`);
for (const c of cells) {
  c.med = quantile(c.ms, 0.5);
  c.rss = memory ? quantile(c.kib, 0.5) / 1024 : NaN;
  console.log(`${pad(c.tool.name === 'qmpsh' ? c.cmd : '', 18)}${pad(c.tool.name, 14)}` +
    `${lpad(f1(c.med), 10)}${lpad(f1(quantile(c.ms, 0.9)), 9)}` +
    `${lpad(memory ? f1(c.rss) : '-', 13)}${lpad(c.bytes, 10)}`);
}

console.log();
console.log('qmpsh / raw node (target):');
const verdict = (ratio, target) => `${ratio.toFixed(2)}x (<= ${target.toFixed(2)}x) ${ratio <= target ? 'PASS' : 'MISS'}`;
for (const cmd of commands) {
  const [q, raw, socat] = cells.filter((c) => c.cmd === cmd && c.tool.name !== 'single file');
  const mem = memory ? `   memory ${verdict(q.rss / raw.rss, MEM_TARGET)}` : '';
  console.log(`  ${pad(cmd, 18)}time ${verdict(q.med / raw.med, TARGETS[cmd])}${mem}` +
    `   (+${f1(q.med - raw.med)} ms; socat ${f1(socat.med)} ms for scale)`);
}
if (SINGLE) {
  // No target: how the single file an operator copies to a node compares, in this run.
  console.log();
  console.log('single file (build/qmpsh-linux-x64) / raw node, beside qmpsh on node and socat:');
  for (const cmd of commands) {
    const [q, raw, socat, single] = cells.filter((c) => c.cmd === cmd);
    const x = (c) => `${(c.med / raw.med).toFixed(2)}x`;
    const mem = memory ? `   memory ${(single.rss / raw.rss).toFixed(2)}x (qmpsh ${(q.rss / raw.rss).toFixed(2)}x)` : '';
    console.log(`  ${pad(cmd, 18)}time ${x(single)} (${f1(single.med)} ms; qmpsh ${x(q)}, socat ${x(socat)})${mem}`);
  }
}
const slowestSocat = Math.max(...cells.filter((c) => c.tool.input).map((c) => quantile(c.ms, 0.9)));
console.log();
console.log(`socat: -t ${SOCAT_T} is only an upper bound on its wait after stdin ends; QEMU closes the` +
  ` connection once it has answered, and socat's p90 of ${f1(slowestSocat)} ms ` +
  (slowestSocat < Number(SOCAT_T) * 1000 * 0.8
    ? 'shows no linger was paid.'
    : `is near ${SOCAT_T} s, so its times include the -t linger.`));
// The QEMU child would keep the event loop alive; the 'exit' handler stops it.
process.exit(0);
