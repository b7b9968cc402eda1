import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/address.js';
import { MonitorBusyError, UsageError } from '../../src/errors.js';
import { describeConnectError } from '../../src/transport/index.js';

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

describe('ssh:// hosts and users that ssh would read as options', () => {
  it.each([
    ['ssh://-oProxyCommand=touch pwned@h/q.sock', /user starts with '-'/],
    ["ssh://-oProxyCommand=sh -c 'touch /tmp/x'@h/q.sock", /host starts with '-'/],
    ['ssh://[-oProxyCommand=touch pwned]/q.sock', /host starts with '-'/],
    ['ssh://-p1/q.sock', /host starts with '-'/],
    ['ssh://[a b]/q.sock', /host holds a space/],
    ['ssh://[a/b]/q.sock', /host holds a '\/'/],
    ['ssh://u@[x@y]/q.sock', /host holds a '@'/],
    ['ssh://us er@h/q.sock', /user holds a space/],
    ['ssh://h\tx/q.sock', /host holds a space or a control character/],
  ])('%s is a usage error', (text, message) => {
    expect(() => parseAddress(text)).toThrow(UsageError);
    expect(() => parseAddress(text)).toThrow(message);
  });

  it.each([
    ['ssh://h/q.sock', { user: undefined, host: 'h', port: undefined }],
    ['ssh://root@node-1.example:2222/run/q.sock', { user: 'root', host: 'node-1.example', port: 2222 }],
    ['ssh://a-b@[::1]/q.sock', { user: 'a-b', host: '::1', port: undefined }],
  ])('%s is fine', (text, parts) => {
    expect(parseAddress(text)).toMatchObject({ kind: 'ssh', ...parts });
  });
});

describe('describeConnectError', () => {
  it.each([
    ['ENOENT', /no socket at \/x: check the path/],
    ['ECONNREFUSED', /connection refused by \/x: nothing is listening/],
    ['EACCES', /permission denied for \/x/],
    ['EAGAIN', /monitor busy: .*another client is connected/],
  ])('%s says what to do', (code, message) => {
    const err = describeConnectError(Object.assign(new Error(code), { code }), '/x');
    expect(err.message).toMatch(message);
    expect(err.syscallCode).toBe(code);
    expect((err.cause as Error).message).toBe(code);
  });

  it('reports EAGAIN (past the backlog of a held monitor) as busy', () => {
    const err = describeConnectError(Object.assign(new Error('connect EAGAIN'), { code: 'EAGAIN' }), '/x');
    expect(err).toBeInstanceOf(MonitorBusyError);
    expect(err.code).toBe('QMP_MONITOR_BUSY');
  });
});
