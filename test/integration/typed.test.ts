/**
 * Typed commands: typed(client).execute() with QEMU 7.2's generated types.
 * The type checks run under `tsc --noEmit` (npm test) and vitest's
 * expectTypeOf; the calls run against a real QEMU.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { connect, typed, type QmpClient, type QmpInt } from '../../src/index.js';
import { startQemu, type Qemu } from '../helpers/qemu.js';

let qemu: Qemu;
let client: QmpClient;
beforeAll(async () => {
  qemu = await startQemu();
  client = await connect(qemu.sock);
});
afterAll(async () => {
  await client?.close();
  await qemu?.stop();
});

describe('typed(client).execute', () => {
  it('returns the command\'s own type, checked by the compiler, and the value QEMU sent', async () => {
    const qmp = typed(client);
    const status = await qmp.execute('query-status');
    expectTypeOf(status.running).toEqualTypeOf<boolean>();
    expectTypeOf(status.status).toExtend<string>();
    expect(typeof status.running).toBe('boolean');
    expect(['prelaunch', 'running', 'paused']).toContain(status.status);

    const version = await qmp.execute('query-version');
    expectTypeOf(version.qemu.major).toEqualTypeOf<QmpInt>();
    expect(version.qemu.major).toBeGreaterThanOrEqual(7);
  });

  it('checks arguments: mandatory ones, names and enum values', async () => {
    const qmp = typed(client);
    await qmp.execute('blockdev-add', { driver: 'null-co', 'node-name': 'typed0', size: 1024 });
    const nodes = await qmp.execute('query-named-block-nodes', { flat: true });
    expect(nodes.map((n) => n['node-name'])).toContain('typed0');
    await qmp.execute('blockdev-del', { 'node-name': 'typed0' });
    // @ts-expect-error: blockdev-del's node-name is mandatory
    await expect(qmp.execute('blockdev-del')).rejects.toMatchObject({ code: 'QMP_COMMAND_ERROR' });
    // @ts-expect-error: 'no-such' is not a BlockdevDriver
    await expect(qmp.execute('blockdev-add', { driver: 'no-such', 'node-name': 'x' })).rejects.toMatchObject({ code: 'QMP_COMMAND_ERROR' });
    // @ts-expect-error: not a command of QEMU 7.2
    await expect(qmp.execute('query-stauts')).rejects.toMatchObject({ code: 'QMP_COMMAND_ERROR' });
  });
});

describe('the generated types', () => {
  it('are what scripts/gen-qmp-types.mjs makes from the 7.2 schema (regenerate after changing it)', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'qmpsh-gen-'));
    try {
      const out = join(dir, 'qmp.ts');
      execFileSync(process.execPath, ['scripts/gen-qmp-types.mjs', 'test/fixtures/qemu-7.2-schema.json', out], { cwd: root });
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(root, 'src/generated/qmp-7.2.ts'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
