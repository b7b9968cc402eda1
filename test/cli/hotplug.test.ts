/**
 * Device hotplug with properties: device_add's arguments go beyond its schema
 * (features json-cli, json-cli-hotplug), so they are typed and checked by the
 * live QEMU's device-list-properties. Against a real -M pc guest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQemu, type Qemu } from '../helpers/qemu.js';
import { runCli } from '../helpers/run-cli.js';

let qemu: Qemu;
beforeAll(async () => {
  qemu = await startQemu({ machine: ['-M', 'pc', '-accel', 'tcg', '-m', '64', '-S'] });
  const r = await runCli([qemu.sock, 'blockdev-add', 'driver=null-co', 'node-name=nd1', 'size=1048576']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => qemu?.stop());

const qomGet = async (path: string, property: string) =>
  JSON.parse((await runCli([qemu.sock, 'qom-get', `path=${path}`, `property=${property}`])).stdout) as unknown;

describe('device_add with the device\'s own properties', () => {
  it('a virtio-net-pci: mac (text), vectors (an int), ioeventfd (a bool), checked with qom-get', async () => {
    const r = await runCli([qemu.sock, 'device_add', 'driver=virtio-net-pci', 'id=net9', 'mac=52:54:00:12:34:56', 'vectors=4', 'ioeventfd=off']);
    expect(r.code, r.stderr).toBe(0);
    expect(await qomGet('/machine/peripheral/net9', 'mac')).toBe('52:54:00:12:34:56');
    expect(await qomGet('/machine/peripheral/net9', 'vectors')).toBe(4);
    expect(await qomGet('/machine/peripheral/net9', 'ioeventfd')).toBe(false);
  });

  it('a virtio-blk-pci on a block node (drive=)', async () => {
    const r = await runCli([qemu.sock, 'device_add', 'driver=virtio-blk-pci', 'drive=nd1', 'id=vblk9']);
    expect(r.code, r.stderr).toBe(0);
    const peripherals = JSON.parse((await runCli([qemu.sock, 'qom-list', 'path=/machine/peripheral'])).stdout) as Array<{ name: string }>;
    expect(peripherals.map((p) => p.name)).toContain('vblk9');
  });

  it('a JSON request and --args carry device properties too', async () => {
    const json = await runCli([qemu.sock, '{"execute": "device_add", "arguments": {"driver": "virtio-net-pci", "id": "net7", "vectors": 3}}']);
    expect(json.code, json.stderr).toBe(0);
    const args = await runCli([qemu.sock, 'device_add', '--args', '{"vectors": 5}', 'driver=virtio-net-pci', 'id=net6']);
    expect(args.code, args.stderr).toBe(0);
    expect(await qomGet('/machine/peripheral/net6', 'vectors')).toBe(5);
  });

  it('refuses a property the driver does not have, with suggestions, nothing sent', async () => {
    const r = await runCli([qemu.sock, 'device_add', 'driver=virtio-net-pci', 'id=net8', 'mca=52:54:00:12:34:57', '-v']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'virtio-net-pci' has no property 'mca': did you mean mac/);
    expect(r.stderr).not.toMatch(/-> \{"execute":"device_add"/);
  });

  it('refuses a value of the wrong type, and an unknown driver', async () => {
    const bad = await runCli([qemu.sock, 'device_add', 'driver=virtio-net-pci', 'id=net5', 'vectors=many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/property 'vectors' is uint32: a whole number, not 'many'/);
    const none = await runCli([qemu.sock, 'device_add', 'driver=nosuchdev', 'id=x', 'a=1']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no device driver 'nosuchdev'/);
  });
});

describe('--describe device_add driver=DRIVER', () => {
  it("shows the schema's arguments, then the driver's own properties with their types", async () => {
    const r = await runCli([qemu.sock, '--describe', 'device_add', 'driver=virtio-net-pci']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^device_add .*\(command\)\n {2}arguments/);
    expect(r.stdout).toMatch(/virtio-net-pci's own properties \(device-list-properties\):/);
    // QOM types and descriptions as this QEMU says them (7.2: mac is a str described as a MAC address).
    expect(r.stdout).toMatch(/^ {4}mac +\S+ +.*MAC Address/m);
    expect(r.stdout).toMatch(/^ {4}ioeventfd +bool\b/m);
    expect(r.stdout).toMatch(/^ {4}vectors +uint32\b/m);
    expect(r.stdout).toMatch(/^ {4}netdev +\S+ +.*netdev/m);
    const blk = await runCli([qemu.sock, '--describe', 'device_add', 'driver=virtio-blk-pci']);
    expect(blk.stdout).toMatch(/^ {4}drive +\S+ +.*block device/m);
  });

  it('a driver QEMU does not have, or other key=value words, are usage errors', async () => {
    const nosuch = await runCli([qemu.sock, '--describe', 'device_add', 'driver=nosuch']);
    expect(nosuch).toMatchObject({ code: 2, stdout: '' });
    expect(nosuch.stderr).toMatch(/no device driver 'nosuch' here/);
    const other = await runCli([qemu.sock, '--describe', 'query-status', 'x=1']);
    expect(other.code).toBe(2);
    const word = await runCli([qemu.sock, '--describe', 'device_add', 'driver=virtio-net-pci', 'oops']);
    expect(word.code).toBe(2);
    const two = await runCli([qemu.sock, '--describe', 'device_add', 'driver=virtio-net-pci', 'id=x']);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/--describe device_add takes driver=DRIVER alone/);
  });
});
