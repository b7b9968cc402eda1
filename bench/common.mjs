// Shared by the benchmarks: a throwaway QEMU (-M none) and quantiles.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

// One exit handler for every QEMU a benchmark starts.
const cleanups = [];
process.on('exit', () => cleanups.forEach((f) => f()));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

export const fail = (msg) => {
  console.error(`bench: ${msg}`);
  process.exit(1);
};

export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)];
};

/**
 * Starts QEMU on a socket in a temp dir and resolves with its socket path and
 * greeting once it answers. QEMU and the dir go away when this process exits
 * (cleanup is synchronous so the 'exit' handler covers errors and signals).
 */
export async function startQemu() {
  const dir = mkdtempSync(join(tmpdir(), 'qmpsh-bench-'));
  const sock = join(dir, 'q.sock');
  const qemu = spawn('qemu-system-x86_64',
    ['-M', 'none', '-nodefaults', '-display', 'none', '-qmp', `unix:${sock},server=on,wait=off`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  cleanups.push(() => {
    qemu.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  let stderr = '';
  qemu.stderr.on('data', (d) => { stderr += d; });
  qemu.on('error', (e) => fail(`cannot start qemu-system-x86_64: ${e.message}`));

  // The socket file appears before QEMU accepts on it, so only a greeting counts.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (qemu.exitCode !== null) fail(`QEMU exited early (code ${qemu.exitCode}): ${stderr.trim()}`);
    const line = await new Promise((resolve) => {
      const s = connect(sock);
      let buf = '';
      s.setTimeout(1000, () => s.destroy());
      s.on('data', (d) => {
        buf += d;
        if (buf.includes('\r\n')) { s.destroy(); resolve(buf.slice(0, buf.indexOf('\r\n'))); }
      });
      s.on('error', () => resolve(null));
      s.on('close', () => resolve(null));
    });
    if (line) {
      const { major, minor, micro } = JSON.parse(line).QMP.version.qemu;
      return { sock, version: `${major}.${minor}.${micro}` };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return fail('QEMU did not greet within 10 s');
}
