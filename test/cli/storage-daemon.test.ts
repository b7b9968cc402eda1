/**
 * qemu-storage-daemon of each QEMU version: a QMP peer without a machine
 * (QMP-NOTES "Getting a real QEMU"), with its own, smaller schema.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startQemu, storageDaemonOf, TEST_QEMUS } from '../helpers/qemu.js';
import { runCli } from '../helpers/run-cli.js';

// The daemon of each QEMU under test (npm test names them all in
// QMPSH_TEST_QEMUS): this file is run once, not once per version.
// qmpsh-test: every-qemu
const DAEMONS = TEST_QEMUS.map((binary) => ({ binary, daemon: storageDaemonOf(binary) }));

const started: Array<{ proc: ChildProcess; dir: string }> = [];
afterAll(() => {
  for (const s of started) {
    s.proc.kill('SIGKILL');
    rmSync(s.dir, { recursive: true, force: true });
  }
});

async function storageDaemon(emulator: string, binary: string | undefined): Promise<string> {
  if (!binary) throw new Error(`no qemu-storage-daemon beside ${emulator} (nor in its storage-daemon/): scripts/install-deps.sh installs Debian's`);
  const dir = mkdtempSync(join(tmpdir(), 'qmpsh-qsd-'));
  const sock = join(dir, 'qsd.sock');
  const proc = spawn(binary, ['--chardev', `socket,id=m,path=${sock},server=on,wait=off`, '--monitor', 'chardev=m'], {
    stdio: 'ignore',
  });
  started.push({ proc, dir });
  for (let i = 0; i < 500 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
  return sock;
}

describe.each(DAEMONS)('qemu-storage-daemon of $binary', ({ binary, daemon }) => {
  it('answers and types arguments by its own schema', async () => {
    const sock = await storageDaemon(binary, daemon);
    // One cache with the emulator of its build, which greets exactly as the
    // daemon does (version and package): qmpsh must not take one's schema for
    // the other's, whichever it met first.
    const env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'qmpsh-c-')) };
    const emulator = await startQemu({ binary });
    try {
      expect((await runCli([emulator.sock, 'migrate-set-parameters', 'max-bandwidth=1000000'], { env })).code).toBe(0);
      const greetings = await Promise.all([emulator.sock, sock].map(async (s) => JSON.parse((await runCli([s, 'query-version'], { env })).stdout)));
      expect(greetings[1]).toEqual(greetings[0]);
    } finally {
      await emulator.stop();
    }
    const version = await runCli([sock, 'query-version'], { env });
    expect(version.code, version.stderr).toBe(0);
    expect(JSON.parse(version.stdout).qemu.major).toBeGreaterThanOrEqual(7);
    const add = await runCli([sock, 'blockdev-add', 'driver=null-co', 'node-name=n0', 'size=1048576'], { env });
    expect(add.code, add.stderr).toBe(0);
    // It has no machine: query-status is not one of its commands, and qmpsh says so before sending.
    const status = await runCli([sock, 'query-status'], { env });
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/unknown command 'query-status'/);
    // --describe lists the daemon's own commands, not its emulator's.
    const listed = await runCli([sock, '--describe'], { env });
    expect(listed.stdout).toMatch(/blockdev-add/);
    expect(listed.stdout).not.toMatch(/^\s*(query-status|stop|migrate)\b/m);
    // Back on an emulator of the build, after the daemon: its own schema again.
    const again = await startQemu({ binary });
    try {
      expect((await runCli([again.sock, 'query-status'], { env })).code).toBe(0);
    } finally {
      await again.stop();
    }
  });
});
