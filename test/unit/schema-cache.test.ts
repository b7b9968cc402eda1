/** The schema cache's names and checks, pure: no file name from peer text, no malformed schema accepted. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Greeting } from '../../src/protocol/messages.js';
import { commandFileName, schemaKey } from '../../src/schema/cache.js';
import { Schema } from '../../src/schema/schema.js';
import { runs } from '../helpers/fuzz.js';

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/qemu-7.2-schema.json', import.meta.url), 'utf8')) as unknown[];
const greeting = (qemu: unknown, pkg: unknown = 'Debian 1:7.2+dfsg-7+deb12u18+b3') =>
  ({ QMP: { version: { qemu, package: pkg }, capabilities: [] } }) as unknown as Greeting;

describe('schemaKey', () => {
  it('is the version and a hash of the package', () => {
    expect(schemaKey(greeting({ major: 7, minor: 2, micro: 22 }))).toMatch(/^7\.2\.22-[0-9a-f]{8}$/);
    expect(schemaKey(greeting({ major: 7, minor: 2, micro: 22 }, '../../x'))).toMatch(/^7\.2\.22-[0-9a-f]{8}$/);
    expect(schemaKey(greeting({ major: 7, minor: 2, micro: 22 }, 'a'))).not.toBe(schemaKey(greeting({ major: 7, minor: 2, micro: 22 }, 'b')));
  });

  it('tells apart peers of one build by their kind (a storage daemon greets as its emulator), never a path', () => {
    const g = greeting({ major: 10, minor: 0, micro: 2 }, 'Debian');
    expect(schemaKey(g, 'x86_64')).toMatch(/^10\.0\.2-[0-9a-f]{8}-x86_64$/);
    expect(schemaKey(g, 'none')).toMatch(/^10\.0\.2-[0-9a-f]{8}-none$/);
    expect(schemaKey(g, 'aarch64')).not.toBe(schemaKey(g, 'x86_64'));
    expect(schemaKey(g, '../../x')).toMatch(/^10\.0\.2-[0-9a-f]{8}-=[0-9a-f]{8}$/);
    expect(schemaKey(g, 'A/B')).toMatch(/^10\.0\.2-[0-9a-f]{8}-=[0-9a-f]{8}$/);
  });

  it.each([
    ['a path', { major: 7, minor: 2, micro: '0/../../x' }],
    ['a numeric string', { major: '7', minor: 2, micro: 0 }],
    ['negative', { major: 7, minor: -1, micro: 0 }],
    ['a fraction', { major: 7, minor: 2, micro: 0.5 }],
    ['past 2^53', { major: 2 ** 53, minor: 2, micro: 0 }],
    ['Infinity', { major: Infinity, minor: 2, micro: 0 }],
    ['missing', { major: 7, minor: 2 }],
    ['an object', { major: {}, minor: 2, micro: 0 }],
    ['not an object', 7],
  ])('is undefined (no cache) for %s', (_name, qemu) => {
    expect(schemaKey(greeting(qemu))).toBeUndefined();
  });

  it('is undefined for a package that is not a string', () => {
    expect(schemaKey(greeting({ major: 7, minor: 2, micro: 0 }, 123))).toBeUndefined();
  });
});

describe('commandFileName', () => {
  it('keeps QAPI names, downstream prefixes included', () => {
    expect(commandFileName('query-status')).toBe('query-status.json');
    expect(commandFileName('block_set_io_throttle')).toBe('block_set_io_throttle.json');
    expect(commandFileName('__com.redhat_drive-mirror')).toBe('__com.redhat_drive-mirror.json');
  });

  it.each(['..', '.', '.hidden', 'a/b', '../../../x', '', 'a\u0000b', 'x'.repeat(129), '-rf'])('hashes %j', (name) => {
    expect(commandFileName(name)).toMatch(/^=[0-9a-f]{16}\.json$/);
  });

  it('is never a path, a dot name, or longer than a file name may be (any string)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (name) => {
        const f = commandFileName(name);
        expect(f).not.toMatch(/[/\0]/);
        expect(f.startsWith('.')).toBe(false);
        expect(Buffer.byteLength(f)).toBeLessThanOrEqual(255);
      }),
      { numRuns: runs(2000) },
    );
  });
});

describe('Schema.from checks every entry', () => {
  it("takes a real QEMU's schema, whose every command is closed over its types", () => {
    const schema = Schema.from(FIXTURE as never) as Schema;
    expect(schema.size).toBe(FIXTURE.length);
    expect(schema.commands.filter((c) => !schema.isClosed(c))).toEqual([]);
  });

  const A = { name: 'A', 'meta-type': 'object', members: [] };
  const cmd = { name: 'c', 'meta-type': 'command', 'arg-type': 'A' };
  it.each([
    ['an empty list', []],
    ['not a list', { name: 'x' }],
    ['a name that is not a string', [{ name: 1, 'meta-type': 'command' }]],
    ['features: 5', [{ ...cmd, features: 5 }, A]],
    ['features: [1]', [{ ...cmd, features: [1] }, A]],
    ['arg-type: 5', [{ ...cmd, 'arg-type': 5 }]],
    ['allow-oob: "yes"', [{ ...cmd, 'allow-oob': 'yes' }, A]],
    ['members: 5', [cmd, { ...A, members: 5 }]],
    ['a member without a type', [cmd, { ...A, members: [{ name: 'x' }] }]],
    ['a member that is a string', [cmd, { ...A, members: ['x'] }]],
    ['variants: {}', [cmd, { ...A, tag: 'x', variants: {} }]],
    ['a variant without a case', [cmd, { ...A, tag: 'x', variants: [{ type: 'A' }] }]],
    ['tag: 5', [cmd, { ...A, tag: 5 }]],
    ['an enum with values: "x"', [{ name: 'E', 'meta-type': 'enum', values: 'x' }]],
    ['an enum with neither values nor members', [{ name: 'E', 'meta-type': 'enum' }]],
    ['an enum member without a name', [{ name: 'E', 'meta-type': 'enum', members: [{}] }]],
    ['an array without element-type', [{ name: 'L', 'meta-type': 'array' }]],
    ['an alternate with members: null', [{ name: 'T', 'meta-type': 'alternate', members: null }]],
    ['a name twice', [A, A]],
  ])('refuses %s', (_name, value) => {
    expect(Schema.from(value as never)).toBeUndefined();
  });

  it('finds a slice that lost a type it names', () => {
    const slice = Schema.from([cmd, { ...A, members: [{ name: 'x', type: 'L' }] }] as never) as Schema;
    expect(slice.isClosed('c')).toBe(false);
    expect((Schema.from([cmd, A] as never) as Schema).isClosed('c')).toBe(true);
  });
});
