/** The schema cache's names, pure: no file name from peer text. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Greeting } from '../../src/protocol/messages.js';
import { commandFileName, schemaKey } from '../../src/schema/cache.js';
import { runs } from '../helpers/fuzz.js';

const greeting = (qemu: unknown, pkg: unknown = 'Debian 1:7.2+dfsg-7+deb12u18+b3') =>
  ({ QMP: { version: { qemu, package: pkg }, capabilities: [] } }) as unknown as Greeting;

describe('schemaKey', () => {
  it('is the version and a hash of the package', () => {
    expect(schemaKey(greeting({ major: 7, minor: 2, micro: 22 }))).toMatch(/^7\.2\.22-[0-9a-f]{8}$/);
    expect(schemaKey(greeting({ major: 7, minor: 2, micro: 22 }, '../../x'))).toMatch(/^7\.2\.22-[0-9a-f]{8}$/);
    expect(schemaKey(greeting({ major: 7, minor: 2, micro: 22 }, 'a'))).not.toBe(schemaKey(greeting({ major: 7, minor: 2, micro: 22 }, 'b')));
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
