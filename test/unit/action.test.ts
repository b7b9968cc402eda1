/** Decisions made on an Action, before anything is sent: does it quit QEMU, what HMP line does it run. */
import { describe, expect, it } from 'vitest';
import { actionOfStatement, quitsQemu, type Action } from '../../src/cli/core/action.js';
import { parseStatement } from '../../src/shell/line.js';

const typed = (line: string) => actionOfStatement(parseStatement(line)) as Action;

describe('quitsQemu', () => {
  it.each([
    'quit',
    '!quit',
    '!q',
    '! q ',
    'human-monitor-command command-line=quit',
    'human-monitor-command command-line=q',
    '{"execute":"human-monitor-command","arguments":{"command-line":"quit"}}',
    '{"execute":"quit"}',
  ])('%s quits', (line) => {
    expect(quitsQemu(typed(line))).toBe(true);
  });

  it('judges a request as it goes on the wire, and HMP mode lines', () => {
    expect(quitsQemu({ kind: 'request', request: { execute: 'human-monitor-command', arguments: { 'command-line': 'q' } } })).toBe(true);
    expect(quitsQemu({ kind: 'request', request: { execute: 'quit' } })).toBe(true);
    expect(quitsQemu({ kind: 'hmp', commandLine: 'quit' })).toBe(true);
  });

  it.each([
    'query-status',
    '!info status',
    '!qemu-io drive0 "read 0 1"',
    'human-monitor-command command-line="info status"',
    'human-monitor-command command-line=quitx',
    '{"execute":"human-monitor-command","arguments":{"command-line":"info quit"}}',
    'transaction( abort )',
  ])('%s does not quit', (line) => {
    expect(quitsQemu(typed(line))).toBe(false);
  });
});
