/** Schema-typed arguments, validation, --describe and the schema cache, against a real QEMU. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { runCli } from '../helpers/run-cli.js';

let qemu: Qemu;
let cacheHome: string;
let dir: string;
beforeAll(async () => {
  qemu = await startQemu();
  cacheHome = mkdtempSync(join(tmpdir(), 'qmpsh-schema-cache-'));
  dir = mkdtempSync(join(tmpdir(), 'qmpsh-schema-'));
});
afterAll(async () => {
  await qemu?.stop();
  rmSync(cacheHome, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], input?: string) =>
  runCli([qemu.sock, ...args], { env: { XDG_CACHE_HOME: cacheHome }, ...(input !== undefined ? { input } : {}) });
/** The request for `command` as it went out, from -v's wire trace. */
const sent = (stderr: string, command: string) => {
  const line = stderr.split('\n').find((l) => l.startsWith(`-> {"execute":"${command}"`));
  return line ? line.slice(3) : undefined;
};

describe('the schema cache', () => {
  it('fetches the schema once (0600 files), then uses the cache: no query-qmp-schema on the wire', async () => {
    const first = await cli(['-v', 'migrate-set-parameters', 'max-bandwidth=18446744073709551615']);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^-> \{"execute":"query-qmp-schema"/m);
    const files = readdirSync(join(cacheHome, 'qmpsh')).filter((f) => f.startsWith('schema-')).sort();
    // Named by the running QEMU's own version (then a hash of its package, and its target).
    const { major, minor, micro } = JSON.parse((await cli(['query-version'])).stdout).qemu;
    const { arch } = JSON.parse((await cli(['query-target'])).stdout);
    const key = `schema-${major}\\.${minor}\\.${micro}-[0-9a-f]{8}-${arch}`;
    expect(files).toEqual([
      expect.stringMatching(new RegExp(`^${key}\\.commands\\.json$`)),
      expect.stringMatching(new RegExp(`^${key}\\.d$`)),
      expect.stringMatching(new RegExp(`^${key}\\.json$`)),
    ]);
    const [index, slices, whole] = files.map((f) => join(cacheHome, 'qmpsh', f)) as [string, string, string];
    expect(statSync(index).mode & 0o777).toBe(0o600);
    expect(statSync(whole).mode & 0o777).toBe(0o600);
    expect(statSync(slices).mode & 0o777).toBe(0o700);
    expect(statSync(join(slices, 'migrate-set-parameters.json')).mode & 0o777).toBe(0o600);

    const second = await cli(['-v', 'migrate-set-parameters', 'max-bandwidth=18446744073709551615']);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/^-> \{"execute":"query-qmp-schema"/m);
    expect(sent(second.stderr, 'migrate-set-parameters')).toMatch(/"max-bandwidth":18446744073709551615/);
    const back = await cli(['query-migrate-parameters']);
    expect(back.stdout).toContain('"max-bandwidth":18446744073709551615');
    await cli(['migrate-set-parameters', 'max-bandwidth=134217728']);
  });
});

describe('typed arguments against the live schema', () => {
  it('sends a device name of digits as a string and the rates as integers', async () => {
    const r = await cli(['-v', 'block_set_io_throttle', 'device=123', 'bps=1000000', 'bps_rd=0', 'bps_wr=0', 'iops=0', 'iops_rd=0', 'iops_wr=0']);
    expect(sent(r.stderr, 'block_set_io_throttle')).toMatch(/"arguments":\{"device":"123","bps":1000000,"bps_rd":0/);
    expect(r.stderr).toMatch(/warning: argument 'device' of block_set_io_throttle is deprecated/);
    expect(r.code).toBe(1); // no such device: QEMU's own answer
    expect(r.stderr).toMatch(/qmpsh: DeviceNotFound|qmpsh: GenericError/);
  });

  it('types blockdev-add through its flat union, a bool given as on', async () => {
    const r = await cli(['-v', 'blockdev-add', 'driver=null-co', 'node-name=n0', 'size=1048576', 'read-zeroes=on']);
    expect(r.code).toBe(0);
    expect(sent(r.stderr, 'blockdev-add')).toMatch(/"arguments":\{"driver":"null-co","node-name":"n0","size":1048576,"read-zeroes":true\}/);
    const nodes = await cli(['query-named-block-nodes']);
    expect(nodes.stdout).toMatch(/"node-name":"n0"/);
    expect((await cli(['blockdev-del', 'node-name=n0'])).code).toBe(0);
  });

  it('a list of objects by index, as QEMU\'s option syntax writes it (the hint for capabilities=xbzrle)', async () => {
    const r = await cli(['-v', 'migrate-set-capabilities', 'capabilities.0.capability=xbzrle', 'capabilities.0.state=on', 'capabilities.1.capability=events', 'capabilities.1.state=on']);
    expect(r.code, r.stderr).toBe(0);
    expect(sent(r.stderr, 'migrate-set-capabilities')).toMatch(
      /"arguments":\{"capabilities":\[\{"capability":"xbzrle","state":true\},\{"capability":"events","state":true\}\]\}/,
    );
    const caps = JSON.parse((await cli(['query-migrate-capabilities'])).stdout) as Array<{ capability: string; state: boolean }>;
    expect(caps.filter((c) => c.state).map((c) => c.capability).sort()).toEqual(['events', 'xbzrle']);
    await cli(['migrate-set-capabilities', 'capabilities.0.capability=xbzrle', 'capabilities.0.state=off', 'capabilities.1.capability=events', 'capabilities.1.state=off']);
  });

  it('dotted keys below an `any` member build the object (values by their look)', async () => {
    const r = await cli(['-v', 'query-cpu-model-expansion', 'type=full', 'model.name=qemu64', 'model.props.pmu=false', 'model.props.level=13']);
    expect(r.code, r.stderr).toBe(0);
    expect(sent(r.stderr, 'query-cpu-model-expansion')).toMatch(/"arguments":\{"type":"full","model":\{"name":"qemu64","props":\{"pmu":false,"level":13\}\}\}/);
    expect(JSON.parse(r.stdout).model.props).toMatchObject({ pmu: false, level: 13 });
  });

  it('a command given no arguments and needing none still reads only the index from the cache', async () => {
    await cli(['query-status']); // the cache is written
    const r = await cli(['-v', 'query-status']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/^-> \{"execute":"query-qmp-schema"/m);
  });

  it('sends as typed with --no-validate', async () => {
    const r = await cli(['-v', '--no-validate', 'block_set_io_throttle', 'id=123', 'bps=1', 'bps_rd=0', 'bps_wr=0', 'iops=0', 'iops_rd=0', 'iops_wr=0']);
    expect(sent(r.stderr, 'block_set_io_throttle')).toMatch(/"id":123/);
  });
});

describe('validation: exit 2, one clear line, the command not sent', () => {
  it.each([
    [['query-stauts'], /^qmpsh: unknown command 'query-stauts': did you mean .*query-status/],
    [['blockdev-add', 'driver=null-co', 'node-nam=n1'], /^qmpsh: blockdev-add: unknown argument 'node-nam': did you mean node-name\?/],
    [['blockdev-add', 'driver=nul-co'], /'driver' must be one of .*\(did you mean null-co\?\)/],
    [['block_set_io_throttle', 'bps=1'], /missing arguments bps_rd \(int\)/],
    [['blockdev-add', 'driver=null-co', 'node-name=x', 'read-zeroes=perhaps'], /'read-zeroes' wants a boolean/],
    // A leading zero: octal to QEMU's option parser, invalid JSON; refused, not guessed at (was exit 70).
    [['migrate-set-parameters', 'max-bandwidth=007'], /^qmpsh: migrate-set-parameters: 'max-bandwidth' wants a decimal integer without leading zeros: "007" could be read as octal; write 7/],
    [['migrate-set-parameters', 'max-bandwidth=-010'], /write -10 if/],
    // Mandatory arguments are checked when no key=value is given at all.
    [['device_del'], /^qmpsh: device_del: missing argument id \(str\)$/m],
    [['human-monitor-command'], /^qmpsh: human-monitor-command: missing argument command-line \(str\)$/m],
    // A list of objects: the hint shows a syntax that is then accepted.
    [['migrate-set-capabilities', 'capabilities=xbzrle'], /'capabilities\.0' wants an object: give its members as capabilities\.0\.NAME=VALUE, or JSON/],
    [['migrate-set-capabilities', 'capabilities.1.capability=xbzrle', 'capabilities.1.state=on'], /capabilities\.0 is missing \(indexes count from 0\)/],
    [['migrate-set-capabilities', 'capabilities.x.state=on'], /its keys are indexes \(capabilities\.0, capabilities\.1, \.\.\.\)/],
  ])('%j', async (args, message) => {
    const log = join(dir, `v-${args.join('_').replace(/\W/g, '')}.log`);
    const r = await cli(['--log', log, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    const wire = readFileSync(log, 'utf8');
    expect(wire).not.toContain(`"execute":"${args[0]}"`);
  });

  it('works the same in a batch, naming the line', async () => {
    const r = await cli([], 'query-status\nblockdev-add driver=nul-co\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^qmpsh: line 2: blockdev-add: 'driver' must be one of/m);
  });
});

describe('--describe', () => {
  it('describes a command from the live schema', async () => {
    const r = await cli(['--describe', 'block_set_io_throttle']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^block_set_io_throttle {2}\(command\)\n {2}arguments \(\? = optional\):\n/);
    expect(r.stdout).toMatch(/^ {4}device\? +str \[deprecated\]$/m);
    expect(r.stdout).toMatch(/^ {2}returns: nothing \(\{\}\)$/m);
  });

  it('describes an event, lists every command, and suggests for a typo', async () => {
    expect((await cli(['--describe', 'SHUTDOWN'])).stdout).toMatch(/SHUTDOWN {2}\(event\)\n {2}data \(\? = optional\):\n {4}guest +bool/);
    const all = await cli(['--describe']);
    expect(all.stdout.split('\n')).toContain('query-status');
    expect(all.stdout).toMatch(/^drive-backup \[deprecated\]$/m);
    const typo = await cli(['--describe', 'query-stauts']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/did you mean .*query-status/);
  });

  it('one variant of a flat union: --describe blockdev-add driver=qcow2', async () => {
    const r = await cli(['--describe', 'blockdev-add', 'driver=qcow2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^blockdev-add {2}\(command\) with driver=qcow2$/m);
    expect(r.stdout).toMatch(/^ {4}lazy-refcounts\? +bool$/m); // qcow2's own
    expect(r.stdout).toMatch(/^ {4}node-name\? +str$/m); // the common ones too
    expect(r.stdout).not.toMatch(/more arguments depending on driver/);
    expect(r.stdout).not.toMatch(/^ {4}read-zeroes/m); // null-co's, not qcow2's
    for (const [args, message] of [
      [['blockdev-add', 'driver=qcow3'], /'driver' of blockdev-add is one of .*; not "qcow3" \(did you mean qcow2/],
      [['blockdev-add', 'node-name=x'], /'blockdev-add' picks its variant by driver alone: give driver=VALUE/],
      [['query-status', 'driver=x'], /'query-status' has no variants to pick/],
    ] as const) {
      const bad = await cli(['--describe', ...args]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
  });
});
