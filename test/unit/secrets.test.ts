import { describe, expect, it } from 'vitest';
import { lineHasSecret, MASK, maskSecrets } from '../../src/secrets.js';

describe('maskSecrets', () => {
  it.each([
    [{ execute: 'set_password', arguments: { protocol: 'vnc', password: 'hunter2' } }, { execute: 'set_password', arguments: { protocol: 'vnc', password: MASK } }],
    [{ execute: 'change-vnc-password', arguments: { password: 'hunter2' } }, { execute: 'change-vnc-password', arguments: { password: MASK } }],
    [{ execute: 'object-add', arguments: { 'qom-type': 'secret', id: 'sec0', data: 'hunter2' } }, { execute: 'object-add', arguments: { 'qom-type': 'secret', id: 'sec0', data: MASK } }],
    [{ execute: 'blockdev-add', arguments: { driver: 'x', opts: { 'key-secret': 'sec0', 'tls-password': 'p' } } }, { execute: 'blockdev-add', arguments: { driver: 'x', opts: { 'key-secret': MASK, 'tls-password': MASK } } }],
    [{ execute: 'human-monitor-command', arguments: { 'command-line': 'set_password vnc hunter2' } }, { execute: 'human-monitor-command', arguments: { 'command-line': `set_password vnc ${MASK}` } }],
    [{ return: { status: 'running' }, id: 1 }, { return: { status: 'running' }, id: 1 }],
  ])('%j', (message, expected) => {
    expect(maskSecrets(message)).toEqual(expected);
  });

  it('does not change its input', () => {
    const message = { execute: 'set_password', arguments: { password: 'hunter2' } };
    maskSecrets(message);
    expect(message.arguments.password).toBe('hunter2');
  });

  it('finds lines that would put a secret into the history', () => {
    expect(lineHasSecret('set_password protocol=vnc password=hunter2')).toBe(true);
    expect(lineHasSecret('object-add qom-type=secret id=s data=x')).toBe(true);
    expect(lineHasSecret('{"execute": "change-vnc-password", "arguments": {"password": "x"}}')).toBe(true);
    expect(lineHasSecret('!set_password vnc x')).toBe(true);
    expect(lineHasSecret('query-status')).toBe(false);
  });
});
