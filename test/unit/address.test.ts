import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/address.js';
import { UsageError } from '../../src/errors.js';

describe('parseAddress', () => {
  it.each([
    ['/run/vm.qmp', { kind: 'unix', path: '/run/vm.qmp' }],
    ['./vm:1', { kind: 'unix', path: './vm:1' }],
    ['vm.qmp', { kind: 'unix', path: 'vm.qmp' }],
    ['unix:/run/vm.qmp', { kind: 'unix', path: '/run/vm.qmp' }],
    ['127.0.0.1:4444', { kind: 'tcp', host: '127.0.0.1', port: 4444 }],
    ['localhost:4444', { kind: 'tcp', host: 'localhost', port: 4444 }],
    ['tcp:host:1', { kind: 'tcp', host: 'host', port: 1 }],
    ['[::1]:4444', { kind: 'tcp', host: '::1', port: 4444 }],
    ['tcp:[::1]:4444', { kind: 'tcp', host: '::1', port: 4444 }],
  ])('%s', (text, expected) => {
    expect(parseAddress(text)).toEqual(expected);
  });

  it.each([
    ['', /empty target/],
    ['unix:', /path is empty/],
    ['tcp:nohost', /expected tcp:HOST:PORT/],
    ['host:70000', /ports are 1-65535/],
    [`/${'x'.repeat(120)}`, /limit of 107/],
  ])('%s is a usage error', (text, message) => {
    expect(() => parseAddress(text)).toThrow(UsageError);
    expect(() => parseAddress(text)).toThrow(message);
  });
});
