/** Decisions made on an Action, before anything is sent: does it quit QEMU, what HMP line does it run. */
import { describe, expect, it } from 'vitest';
import { actionOfStatement, hmpLineOf, quitsQemu, type Action } from '../../src/cli/core/action.js';
import { refusal } from '../../src/cli/core/read-only.js';
import { parseStatement } from '../../src/shell/line.js';
import { parseCommand } from '../../src/shell/parse.js';

const typed = (line: string) => actionOfStatement(parseStatement(line)) as Action;

describe('quitsQemu', () => {
  it.each([
    'quit',
    '!quit',
    '!q',
    '! q ',
    'human-monitor-command command-line=quit',
    'human-monitor-command command-line=q',
    'human-monitor-command command-line="quit"',
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

describe('hmpLineOf', () => {
  /** The one-shot's argv: `qmpsh SOCK human-monitor-command 'command-line="info status"'` keeps the quotes in the word. */
  const argv = (...words: string[]): Action => ({ kind: 'qmp', call: parseCommand(words[0] as string, words.slice(1)) });

  it('is the line as sent: a quoted value without its quotes', () => {
    expect(hmpLineOf(argv('human-monitor-command', 'command-line="info status"'))).toBe('info status');
    expect(hmpLineOf(argv('human-monitor-command', 'command-line=info block'))).toBe('info block');
    expect(hmpLineOf(typed('!info block'))).toBe('info block');
    expect(hmpLineOf(typed('query-status'))).toBeUndefined();
    expect(quitsQemu(argv('human-monitor-command', 'command-line="q"'))).toBe(true);
  });

  it('so --read-only lets a quoted `info` line through', () => {
    expect(refusal(argv('human-monitor-command', 'command-line="info status"'))).toBeUndefined();
    expect(refusal(argv('human-monitor-command', 'command-line="stop"'))).toMatch(/refused HMP 'stop'/);
  });
});
