/** Typing key=value by a real QEMU 7.2 schema (recorded: test/fixtures/qemu-7.2-schema.json). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { stringifyJson } from '../../src/protocol/json.js';
import { describeName } from '../../src/schema/describe.js';
import { Schema } from '../../src/schema/schema.js';
import { typedRequest } from '../../src/schema/typed-args.js';
import { replacementsIn } from '../../src/schema/replacements.js';
import { parseCommand } from '../../src/shell/parse.js';

const schema = Schema.from(JSON.parse(readFileSync(new URL('../fixtures/qemu-7.2-schema.json', import.meta.url), 'utf8')))!;

function typed(line: string, warnings: string[] = []) {
  const [command, ...words] = line.split(' ') as [string, ...string[]];
  return typedRequest(schema, parseCommand(command, words), { warn: (m) => warnings.push(m) });
}

describe('typed key=value', () => {
  it('keeps a str a string whatever it looks like, and types ints', () => {
    const r = typed('block_set_io_throttle id=123 bps=1000000 bps_rd=0 bps_wr=0 iops=0 iops_rd=0 iops_wr=0');
    expect(r.arguments).toEqual({ id: '123', bps: 1000000, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 0, iops_wr: 0 });
  });

  it('warns about deprecated arguments', () => {
    const warnings: string[] = [];
    typed('block_set_io_throttle device=d bps=0 bps_rd=0 bps_wr=0 iops=0 iops_rd=0 iops_wr=0', warnings);
    expect(warnings).toEqual(['argument \'device\' of block_set_io_throttle is deprecated: it may go away in a later QEMU; use id']);
  });

  describe('what a later QEMU removed or deprecated names its replacement', () => {
    // 7.2's schema as QEMU 10.0 changed it: migrate without blk, MigrationCapability
    // without compress, ChardevBackendKind's memory deprecated.
    const entries = JSON.parse(readFileSync(new URL('../fixtures/qemu-7.2-schema.json', import.meta.url), 'utf8')) as Array<Record<string, any>>;
    const migrateArgs = entries.find((e) => e.name === entries.find((c) => c.name === 'migrate')!['arg-type'])!;
    migrateArgs.members = migrateArgs.members.filter((m: { name: string }) => m.name !== 'blk');
    for (const e of entries.filter((x) => x['meta-type'] === 'enum')) {
      if (e.values.includes('xbzrle') && e.values.includes('compress')) {
        e.values = e.values.filter((v: string) => v !== 'compress');
        e.members = e.members?.filter((m: { name: string }) => m.name !== 'compress');
      }
      if (e.values.includes('ringbuf') && e.values.includes('memory')) {
        e.members = e.values.map((name: string) => (name === 'memory' ? { name, features: ['deprecated'] } : { name }));
      }
    }
    const later = Schema.from(entries)!;
    const typedLater = (line: string, warnings: string[] = []) => {
      const [command, ...words] = line.split(' ') as [string, ...string[]];
      return typedRequest(later, parseCommand(command, words), { warn: (m) => warnings.push(m) });
    };

    it('a removed argument', () => {
      expect(() => typedLater('migrate uri=exec:true blk=on')).toThrow(/unknown argument 'blk': QEMU removed it; use blockdev-mirror to an NBD export/);
    });

    it('a removed value, inside a list of objects', () => {
      expect(() => typedLater('migrate-set-capabilities capabilities.0.capability=compress capabilities.0.state=on')).toThrow(
        /'capabilities\.0\.capability': QEMU removed the value "compress"; use the multifd capability with multifd-compression/,
      );
    });

    it('a deprecated value of a union\'s tag, said once', () => {
      const warnings: string[] = [];
      typedLater('chardev-add id=m backend.type=memory backend.data.size=4096', warnings);
      expect(warnings).toEqual(["value 'memory' of 'backend.type' is deprecated: it may go away in a later QEMU; use backend.type=ringbuf"]);
    });

    it('a refusal by QEMU of JSON it was sent as given names what replaced the removed parts it names', () => {
      const args = { capabilities: [{ capability: 'compress', state: true }, { capability: 'xbzrle', state: true }] };
      expect(replacementsIn('migrate-set-capabilities', args, "Parameter 'capability' does not accept value 'compress'")).toEqual([
        `'capabilities.0.capability' "compress": QEMU removed it; use the multifd capability with multifd-compression (QEMU 9.1 removed the older compression)`,
      ]);
      // Not named by the error: no advice.
      expect(replacementsIn('migrate-set-capabilities', args, "Parameter 'state' is missing")).toEqual([]);
      expect(replacementsIn('migrate', { uri: 'x', blk: true }, "Parameter 'blk' is unexpected")).toEqual([
        `'blk': QEMU removed it; use blockdev-mirror to an NBD export on the destination (QEMU 9.1 removed block migration)`,
      ]);
    });

    it('a typo is still a typo', () => {
      expect(() => typedLater('migrate uri=exec:true detatch=on')).toThrow(/unknown argument 'detatch': did you mean detach\?/);
    });
  });

  it('takes on/off/yes/no/true/false for bool, through a flat union (blockdev-add driver=null-co)', () => {
    const r = typed('blockdev-add driver=null-co node-name=n0 size=1048576 read-zeroes=on');
    expect(r.arguments).toEqual({ driver: 'null-co', 'node-name': 'n0', size: 1048576, 'read-zeroes': true });
    expect(typed('blockdev-add driver=null-co node-name=n0 read-zeroes=No').arguments?.['read-zeroes']).toBe(false);
    expect(() => typed('blockdev-add driver=null-co node-name=n0 read-zeroes=maybe')).toThrow(/wants a boolean/);
  });

  it('keeps uint64 exact', () => {
    expect(stringifyJson(typed('migrate-set-parameters max-bandwidth=18446744073709551615').arguments)).toBe(
      '{"max-bandwidth":18446744073709551615}',
    );
  });

  it.each([
    ['unknown command', 'query-stauts', /unknown command 'query-stauts': did you mean .*query-status/],
    ['unknown argument', 'blockdev-add driver=null-co node-nam=x', /unknown argument 'node-nam': did you mean node-name\?/],
    ['variant argument before its tag', 'blockdev-add size=1', /unknown argument 'size' \(give driver= first/],
    ['missing argument', 'block_set_io_throttle bps=1', /missing arguments bps_rd \(int\), bps_wr \(int\), iops \(int\)/],
    ['wrong enum value', 'blockdev-add driver=nul-co', /'driver' must be one of .*not "nul-co" \(did you mean null-co\?\)/],
    ['wrong int', 'block_set_io_throttle bps=1k', /'bps' wants an integer \(int\), not "1k"/],
    ['arguments to a command without any', 'query-status verbose=1', /'query-status' takes no arguments/],
    ['a repeated key that is not a list', 'human-monitor-command command-line=a command-line=b', /given twice \(only lists take a repeated key\)/],
    ['keys below a scalar', 'human-monitor-command command-line.x=1', /'command-line' is str: it has no keys below it/],
  ])('%s is a usage error', (_name, line, message) => {
    expect(() => typed(line)).toThrow(UsageError);
    expect(() => typed(line)).toThrow(message);
  });

  it('builds nested objects from dotted keys and lists from repeated keys', () => {
    expect(typed('blockdev-add driver=null-co node-name=n cache.direct=on').arguments).toMatchObject({ cache: { direct: true } });
    expect(typed('block-dirty-bitmap-merge node=n target=t bitmaps=b1 bitmaps=b2').arguments).toEqual({
      node: 'n',
      target: 't',
      bitmaps: ['b1', 'b2'],
    });
  });

  it('forces JSON with key:=JSON and a string with JSON quotes', () => {
    expect(typed('human-monitor-command command-line="123"').arguments).toEqual({ 'command-line': '123' });
    expect(typed('block-dirty-bitmap-merge node=n target=t bitmaps:=["a",{"node":"n2","name":"b"}]').arguments?.bitmaps).toEqual([
      'a',
      { node: 'n2', name: 'b' },
    ]);
  });

  it('describes commands and events', () => {
    const text = describeName(schema, 'block_set_io_throttle');
    expect(text).toMatch(/^block_set_io_throttle {2}\(command\)/);
    expect(text).toMatch(/^ {4}device\? +str \[deprecated\]$/m);
    expect(text).toMatch(/^ {4}bps +int$/m);
    expect(text).toMatch(/returns: nothing/);
    expect(describeName(schema, 'SHUTDOWN')).toMatch(/reason +enum \(none, host-error, host-qmp-quit/);
    expect(() => describeName(schema, 'SHUTDWN')).toThrow(/did you mean SHUTDOWN/);
  });
});

describe('transaction actions (REPL transaction mode)', () => {
  it('types an action by the TransactionAction union', async () => {
    const { typedTransactionAction } = await import('../../src/schema/typed-args.js');
    const { parseWords } = await import('../../src/shell/parse.js');
    expect(typedTransactionAction(schema, 'block-dirty-bitmap-add', parseWords(['node=123', 'name=b0', 'persistent=on']))).toEqual({
      type: 'block-dirty-bitmap-add',
      data: { node: '123', name: 'b0', persistent: true },
    });
    expect(typedTransactionAction(schema, 'abort', [])).toEqual({ type: 'abort', data: {} });
    expect(() => typedTransactionAction(schema, 'abortt', [])).toThrow(/'type' must be one of .*did you mean abort/);
    expect(() => typedTransactionAction(schema, 'block-dirty-bitmap-add', parseWords(['nod=x']))).toThrow(/unknown argument 'data\.nod': did you mean data\.node\?/);
  });
});
