/**
 * The completion's pure parts against a recorded QEMU 7.2 schema
 * (test/fixtures/qemu-7.2-schema.json): argument values, job ids, device_add
 * properties, the REPL's own words; and the pager's choices.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SchemaArgumentCompleter, type LiveNameSets } from '../../src/cli/completion/arguments.js';
import { pagerCommand, screenRows } from '../../src/cli/output/pager.js';
import { complete, type CompletionSources } from '../../src/cli/repl/completer.js';
import { describeDeviceProperties, type DeviceProperty } from '../../src/schema/device-props.js';
import { Schema } from '../../src/schema/schema.js';

const schema = Schema.from(JSON.parse(readFileSync(new URL('../fixtures/qemu-7.2-schema.json', import.meta.url), 'utf8')))!;
const live: LiveNameSets = { devices: ['drive0', 'mjob'], nodes: ['n1'], jobs: ['mjob'], ids: ['net0'] };
const netProps: DeviceProperty[] = [
  { name: 'mac', type: 'str', description: 'Ethernet 6-byte MAC Address' },
  { name: 'ioeventfd', type: 'bool', default: true },
  { name: 'disable-legacy', type: 'OnOffAuto' },
  { name: 'vectors', type: 'uint32' },
];
const args = new SchemaArgumentCompleter(
  () => schema,
  () => live,
  { properties: (driver) => (driver === 'virtio-net-pci' ? netProps : undefined) },
);
const words = (line: string) => {
  const all = line.split(' ');
  return [all[0] as string, all.slice(1, -1), all.at(-1) as string] as const;
};
const at = (line: string) => args.complete(...words(line));

describe('argument completion', () => {
  it('offers on, off, true and false for a bool', () => {
    expect(at('blockdev-add driver=null-co read-zeroes=')).toEqual(['read-zeroes=on', 'read-zeroes=off', 'read-zeroes=true', 'read-zeroes=false']);
    expect(at('blockdev-add driver=null-co read-zeroes=t')).toEqual(['read-zeroes=true']);
  });

  it("walks into cache. and offers its members", () => {
    expect(at('blockdev-add driver=qcow2 cache.')).toEqual(['cache.direct=', 'cache.no-flush=']);
    expect(at('blockdev-add driver=qcow2 cache.direct=o')).toEqual(['cache.direct=on', 'cache.direct=off']);
  });

  it('offers job ids, not drive names, to block-job-* device= and job-* id=', () => {
    expect(at('block-job-cancel device=')).toEqual(['device=mjob']);
    expect(at('block-job-set-speed device=')).toEqual(['device=mjob']);
    expect(at('job-pause id=')).toEqual(['id=mjob']);
    expect(at('block_set_io_throttle device=')).toEqual(['device=drive0', 'device=mjob']);
  });

  it("offers a device_add driver's own properties, once, and the values of bools and OnOffAuto", () => {
    expect(at('device_add driver=virtio-net-pci ')).toEqual(['bus=', 'disable-legacy=', 'id=', 'ioeventfd=', 'mac=', 'vectors=']);
    expect(at('device_add driver=virtio-net-pci mac=x ')).not.toContain('mac=');
    expect(at('device_add driver=virtio-net-pci ioeventfd=of')).toEqual(['ioeventfd=off']);
    expect(at('device_add driver=virtio-net-pci disable-legacy=')).toEqual(['disable-legacy=on', 'disable-legacy=off', 'disable-legacy=auto']);
    expect(at('device_add driver=virtio-net-pci mac=')).toEqual([]);
    // Unknown driver (or not looked up yet): the schema's own arguments.
    expect(at('device_add driver=e1000 ')).toEqual(['bus=', 'id=']);
  });
});

describe("the REPL's own words", () => {
  const sources = (over: Partial<CompletionSources> = {}): CompletionSources => ({
    qmpCommands: () => ['query-status'],
    shellCommands: () => ['events', 'pager', 'wait', 'jobs'],
    hmpCommands: () => ['info', 'stop'],
    hmpInfo: () => ['status', 'stats', 'block'],
    hmpMode: () => false,
    inTransaction: () => false,
    transactionActions: () => [],
    jobIds: () => ['mjob'],
    helpTopics: () => [],
    ...over,
  });

  it("completes info's subcommands after !info and in HMP mode", () => {
    expect(complete('!info sta', sources())).toEqual([['stats', 'status'], 'sta']);
    expect(complete('info sta', sources({ hmpMode: () => true }))).toEqual([['stats', 'status'], 'sta']);
    expect(complete('info sta', sources())).toEqual([[], 'sta']);
  });

  it('completes on/off after the switches and job ids after .wait', () => {
    expect(complete('.pager o', sources())).toEqual([['off', 'on'], 'o']);
    expect(complete('.events of', sources())).toEqual([['off'], 'of']);
    expect(complete('.wait ', sources())).toEqual([['migration', 'mjob'], '']);
  });
});

describe('the pager', () => {
  it('is $QMPSH_PAGER, else $PAGER, else less; cat or empty is none', () => {
    expect(pagerCommand({})).toBe('less');
    expect(pagerCommand({ PAGER: 'more' })).toBe('more');
    expect(pagerCommand({ PAGER: 'more', QMPSH_PAGER: 'less -S' })).toBe('less -S');
    expect(pagerCommand({ PAGER: 'cat' })).toBeUndefined();
    expect(pagerCommand({ PAGER: '' })).toBeUndefined();
    expect(pagerCommand({ PAGER: 'less', QMPSH_PAGER: '' })).toBeUndefined();
  });

  it('counts wrapped rows, not colour codes', () => {
    expect(screenRows('a\nb\nc', 80)).toBe(3);
    expect(screenRows('x'.repeat(81), 80)).toBe(2);
    expect(screenRows(`\x1b[32m${'x'.repeat(80)}\x1b[0m`, 80)).toBe(1);
    expect(screenRows('', 80)).toBe(1);
  });
});

describe('--describe device_add driver=X', () => {
  it('lists the properties sorted, with type, default and description', () => {
    const lines = describeDeviceProperties('virtio-net-pci', netProps);
    expect(lines[0]).toBe("  virtio-net-pci's own properties (device-list-properties):");
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/)[0])).toEqual(['disable-legacy', 'ioeventfd', 'mac', 'vectors']);
    expect(lines).toContain('    ioeventfd       bool       default true');
    expect(describeDeviceProperties('x', [])).toEqual(["  x's own properties: none"]);
  });
});
