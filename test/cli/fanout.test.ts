/** Fan-out against 16 real QEMUs: a glob, --parallel, one stopped, one missing, --table, scripts, --wait-event. */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { runCli } from '../helpers/run-cli.js';

const N = 16;
let qemus: Qemu[] = [];
let dir: string;
beforeAll(async () => {
  qemus = await Promise.all(Array.from({ length: N }, () => startQemu()));
  // One directory of sockets, named like a Ganeti node's: vm00.qmp ... vm15.qmp
  dir = mkdtempSync(join(tmpdir(), 'qmpsh-fan-'));
  qemus.forEach((q, i) => symlinkSync(q.sock, join(dir, `vm${String(i).padStart(2, '0')}.qmp`)));
}, 60_000);
afterAll(async () => {
  for (const q of qemus) q.proc.kill('SIGCONT');
  await Promise.all(qemus.map((q) => q.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);

describe('fan-out', () => {
  it('runs on every socket of a glob, concurrently, one NDJSON line per target in order', async () => {
    const r = await runCli([`${dir}/vm*.qmp`, 'query-status', '--parallel', '8']);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((l) => l.target)).toEqual(Array.from({ length: N }, (_, i) => join(dir, `vm${String(i).padStart(2, '0')}.qmp`)));
    expect(out.every((l) => l.return?.status === 'running')).toBe(true);
    expect(r.stderr).toBe(`qmpsh: ${N} of ${N} targets succeeded\n`);
  });

  it('a stopped QEMU is that target\'s timeout and a missing socket its own error; the rest succeed; exit 5', async () => {
    const stopped = qemus[3] as Qemu;
    stopped.proc.kill('SIGSTOP');
    try {
      const r = await runCli([`${dir}/vm*.qmp`, join(dir, 'missing.qmp'), 'query-status', '--connect-timeout', '1']);
      expect(r.code).toBe(5);
      const out = lines(r.stdout);
      expect(out).toHaveLength(N + 1);
      expect(out[3]).toMatchObject({ target: join(dir, 'vm03.qmp'), error: { code: 'QMP_TIMEOUT', message: expect.stringMatching(/is stopped/) } });
      expect(out[N]).toMatchObject({ target: join(dir, 'missing.qmp'), error: { code: 'QMP_CONNECT_FAILED' } });
      expect(out.filter((l) => l.return).length).toBe(N - 1);
      expect(r.stderr).toMatch(new RegExp(`^qmpsh: ${N - 1} of ${N + 1} targets succeeded; failed: .*vm03\\.qmp \\(QMP_TIMEOUT\\), .*missing\\.qmp \\(QMP_CONNECT_FAILED\\)`));
    } finally {
      stopped.proc.kill('SIGCONT');
    }
  });

  it('--table renders flat replies as aligned rows', async () => {
    const r = await runCli([`${dir}/vm0[0-2].qmp`, 'query-status', '--table']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    // The columns are the reply's members, whatever this QEMU's version has (7.2 adds singlestep).
    const one = JSON.parse((await runCli([join(dir, 'vm00.qmp'), 'query-status'])).stdout) as Record<string, unknown>;
    expect(rows[0]?.split(/ +/)).toEqual(['TARGET', ...Object.keys(one).map((k) => k.toUpperCase())]);
    expect(rows).toHaveLength(4);
    for (const row of rows.slice(1)) expect(row.split(/ +/)).toEqual([expect.stringMatching(/vm0\d\.qmp$/), ...Object.values(one).map(String)]);
  });

  it('runs a script on each target', async () => {
    const r = await runCli([join(dir, 'vm00.qmp'), join(dir, 'vm01.qmp')], { input: 'query-status\nquery-name\n' });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((l) => [l.target.slice(-8), l.line])).toEqual([
      ['vm00.qmp', 1],
      ['vm00.qmp', 2],
      ['vm01.qmp', 1],
      ['vm01.qmp', 2],
    ]);
  });

  it('waits for an event on each target (--wait-event with a command)', async () => {
    const r = await runCli([join(dir, 'vm04.qmp'), join(dir, 'vm05.qmp'), '--wait-event', 'STOP', 'stop']);
    await runCli([join(dir, 'vm04.qmp'), join(dir, 'vm05.qmp'), 'cont']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((l) => l.return?.event)).toEqual(['STOP', 'STOP']);
  });
});
