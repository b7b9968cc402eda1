/**
 * Two QEMU versions at once, as on a cluster mid-upgrade: Debian 12's 7.2 and
 * bookworm-backports' 10.0 (scripts/install-qemu10.sh). Expectations come from
 * each running QEMU's own schema, never from a version number written here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, TEST_QEMUS, type Qemu } from '../helpers/qemu.js';
import { runCli } from '../helpers/run-cli.js';

// Every QEMU under test at once (npm test names them all in QMPSH_TEST_QEMUS):
// this file is run once, not once per version (scripts/test-qemus.mjs).
// qmpsh-test: every-qemu
const SEVERAL = TEST_QEMUS.length >= 2;

let qemus: Qemu[] = [];
beforeAll(async () => {
  if (!SEVERAL && process.env.CI) {
    throw new Error(`two QEMU versions are needed by this test in CI (only ${TEST_QEMUS.join(', ')}): run scripts/install-qemu10.sh (.ci/run does)`);
  }
  qemus = await Promise.all(
    TEST_QEMUS.map((binary) => startQemu({ binary, machine: ['-M', 'pc', '-accel', 'tcg', '-m', '32', '-S'] })),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all(qemus.map((q) => q.stop()));
});

interface SchemaEntry {
  name: string;
  'meta-type': string;
  'arg-type'?: string;
  members?: Array<{ name: string }>;
  features?: string[];
}

async function schemaOf(q: Qemu): Promise<SchemaEntry[]> {
  return JSON.parse((await runCli([q.sock, 'query-qmp-schema'])).stdout) as SchemaEntry[];
}

/** The argument names a command takes on this QEMU. */
function argumentsOf(schema: SchemaEntry[], command: string): string[] {
  const c = schema.find((e) => e.name === command && e['meta-type'] === 'command');
  return schema.find((e) => e.name === c?.['arg-type'])?.members?.map((m) => m.name) ?? [];
}

describe('each QEMU by its own schema', () => {
  // With one QEMU (a local run without 10.0) the checks below still run on it;
  // only this one needs two, and CI always has them (beforeAll).
  it.skipIf(!SEVERAL)('the versions differ (the test means something)', async () => {
    const versions = await Promise.all(
      qemus.map(async (q) => {
        const { qemu } = JSON.parse((await runCli([q.sock, 'query-version'])).stdout);
        return `${qemu.major}.${qemu.minor}.${qemu.micro}`;
      }),
    );
    expect(new Set(versions).size, versions.join(' ')).toBe(qemus.length);
  });

  it('fan-out types each target\'s arguments by its own schema', async () => {
    // query-machines compat-props=: an argument one version has and another may not.
    const r = await runCli([...qemus.map((q) => q.sock), 'query-machines', 'compat-props=true']);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    for (const [i, q] of qemus.entries()) {
      const has = argumentsOf(await schemaOf(q), 'query-machines').includes('compat-props');
      const line = lines[i];
      expect(line.target).toBe(q.sock);
      if (has) expect(Array.isArray(line.return)).toBe(true);
      else expect(line.error).toBeDefined();
    }
  });

  it('--describe shows each version\'s own arguments', async () => {
    const r = await runCli([...qemus.map((q) => q.sock), '--describe', 'migrate']);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    for (const [i, q] of qemus.entries()) {
      const has = argumentsOf(await schemaOf(q), 'migrate').includes('channels');
      expect(lines[i].return.includes('channels')).toBe(has);
    }
  });

  it('--wait follows a migrate given channels where the QEMU takes them, and refuses it where not', async () => {
    for (const q of qemus) {
      const has = argumentsOf(await schemaOf(q), 'migrate').includes('channels');
      const channels = '[{"channel-type":"main","addr":{"transport":"exec","args":["/bin/sh","-c","cat > /dev/null"]}}]';
      const r = await runCli([q.sock, 'migrate', `channels:=${channels}`, '--wait'], { killAfterMs: 60_000 });
      if (has) {
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', ram: { remaining: 0 } });
      } else {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/unknown argument 'channels'/);
      }
    }
  });

  it('a removed command names its replacement; a deprecated one warns with it', async () => {
    for (const q of qemus) {
      const schema = await schemaOf(q);
      const commands = new Set(schema.filter((e) => e['meta-type'] === 'command').map((e) => e.name));
      if (!commands.has('query-cpus')) {
        const r = await runCli([q.sock, 'query-cpus']);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/QEMU removed it; use query-cpus-fast/);
      }
      const deprecated = schema.find((e) => e.name === 'drive-backup')?.features?.includes('deprecated');
      const r = await runCli([q.sock, 'drive-backup', 'device=nodev', 'target=/nonexistent/x', 'sync=full']);
      expect(r.code).toBe(1); // no such device: QEMU's own error
      if (deprecated) expect(r.stderr).toMatch(/drive-backup' is deprecated.*use blockdev-backup/);
    }
  });

  it('an argument a QEMU removed names its replacement; one it has is typed and sent', async () => {
    for (const q of qemus) {
      const has = argumentsOf(await schemaOf(q), 'migrate-set-parameters').includes('compress-level');
      const r = await runCli([q.sock, 'migrate-set-parameters', 'compress-level=1']);
      if (has) expect(r.code, r.stderr).toBe(0);
      else {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/unknown argument 'compress-level': QEMU removed it; use multifd-compression/);
      }
    }
  });

  it('a value a QEMU removed, given as JSON (sent as given): QEMU\'s refusal names the replacement', async () => {
    for (const q of qemus) {
      const request = (state: boolean) => JSON.stringify({ execute: 'migrate-set-capabilities', arguments: { capabilities: [{ capability: 'compress', state }] } });
      const r = await runCli([q.sock, request(true)]);
      if (r.code === 0) {
        expect((await runCli([q.sock, request(false)])).code).toBe(0); // this QEMU has it: back as it was
      } else {
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/'compress'.*\('capabilities\.0\.capability' "compress": QEMU removed it; use the multifd capability/);
      }
    }
  });

  it('a typo suggests the closest command first', async () => {
    for (const q of qemus) {
      const r = await runCli([q.sock, 'query-stauts']);
      expect(r.stderr).toMatch(/did you mean query-status[,?]/);
    }
  });
});

describe('each installed QEMU is whole', () => {
  it('lists every device type (QEMU loads all its modules) and still answers: no module of another build is taken', async () => {
    for (const q of qemus) {
      const types = await runCli([q.sock, 'qom-list-types', 'implements=device', 'abstract=false']);
      expect(types.code, types.stderr).toBe(0);
      expect((JSON.parse(types.stdout) as Array<{ name: string }>).some((t) => t.name === 'virtio-net-pci')).toBe(true);
      expect((await runCli([q.sock, 'query-status'])).code).toBe(0);
    }
  });
});
