// Soak: 1,000,000 events from a scripted server into `qmpsh SOCK --events`,
// RSS of the qmpsh process sampled early and at the end. Memory must stay flat
// (bounded buffers), whatever the session's length.
//   node bench/soak.mjs            (BENCH_SOAK_EVENTS=N overrides 1,000,000)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, root } from './common.mjs';

const N = Number(process.env.BENCH_SOAK_EVENTS) || 1_000_000;
const EARLY = Math.min(20_000, Math.floor(N / 10));
const dir = mkdtempSync(join(tmpdir(), 'qmpsh-soak-'));
const sock = join(dir, 'fake.sock');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "soak"}, "capabilities": ["oob"]}}\r\n';
const server = createServer((s) => {
  s.on('error', () => {});
  s.write(GREETING);
  s.once('data', async (d) => {
    const id = JSON.parse(String(d).trim()).id;
    s.write(`{"return": {}, "id": ${JSON.stringify(id)}}\r\n`);
    for (let i = 0; i < N && !s.destroyed; i++) {
      const line = `{"timestamp": {"seconds": ${1700000000 + Math.floor(i / 1e6)}, "microseconds": ${i % 1e6}}, "event": "SOAK", "data": {"n": ${i}}}\r\n`;
      if (!s.write(line)) await new Promise((r) => s.once('drain', r));
    }
  });
});
await new Promise((r) => server.listen(sock, r));

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
// --timeout: a stalled run ends (exit 5) instead of hanging the benchmark.
const child = spawn(process.execPath, [join(root, 'bin/qmpsh.cjs'), sock, '--events', '--count', String(N), '--timeout', '600'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let lines = 0;
let early;
let late;
const started = Date.now();
child.stdout.on('data', (d) => {
  for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) {
    lines++;
    if (lines === EARLY) early = rssKiB(child.pid);
    if (lines === N - 1000) late = rssKiB(child.pid);
  }
});
const code = await new Promise((r) => child.on('close', r));
server.close();
if (code !== 0 || lines !== N) fail(`qmpsh exited ${code} after ${lines} of ${N} events`);
const seconds = (Date.now() - started) / 1000;
console.log(`qmpsh soak: ${N.toLocaleString('en')} events through --events from a scripted server, node ${process.version}`);
console.log(`  RSS after ${EARLY.toLocaleString('en')} events: ${(early / 1024).toFixed(1)} MB`);
console.log(`  RSS near the end:        ${(late / 1024).toFixed(1)} MB   (${(late / early).toFixed(2)}x; flat means bounded buffers)`);
console.log(`  ${(N / seconds).toFixed(0)} events/s end to end`);
process.exit(0);
