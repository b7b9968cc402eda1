/** qmpsh's own REPL commands. They start with '.', which no QMP command name can. */
import type { Paint } from '../output/format.js';

export const SHELL_COMMANDS: ReadonlyArray<{ name: string; usage: string; what: string }> = [
  { name: 'help', usage: '.help [NAME]', what: 'this help; with a command or event name, its description (also: help NAME)' },
  { name: 'exit', usage: '.exit', what: 'leave the shell (as Ctrl-D); QEMU keeps running' },
  { name: 'events', usage: '.events [on|off]', what: 'show or hide events as they arrive; alone, says which' },
  { name: 'verbose', usage: '.verbose [on|off]', what: 'show the messages on the wire' },
  { name: 'pager', usage: '.pager [on|off]', what: 'page replies taller than the screen ($PAGER, else less)' },
  { name: 'jobs', usage: '.jobs', what: 'the jobs and the migration, as --jobs shows them' },
  { name: 'wait', usage: '.wait [JOB|migration]', what: 'follow a job or the migration to its end (Ctrl-C stops following)' },
  { name: 'pretty', usage: '.pretty', what: 'indented, coloured replies (default)' },
  { name: 'compact', usage: '.compact', what: 'one-line replies' },
  { name: 'hmp', usage: '.hmp [CMDLINE]', what: 'run one HMP command line, or switch to HMP mode' },
  { name: 'qmp', usage: '.qmp', what: 'leave HMP mode' },
];

export function shellHelp(paint: Paint): string {
  const width = Math.max(...SHELL_COMMANDS.map((c) => c.usage.length));
  const rows = SHELL_COMMANDS.map((c) => `  ${paint.cyan(c.usage.padEnd(width))}  ${c.what}`);
  return [
    paint.bold('QMP commands'),
    '  query-status                      a command',
    '  block_set_io_throttle device=drive0 bps=1000   key=value arguments (JSON values, a.b=1 nesting)',
    '  {"execute": "query-block"}        a whole JSON request (may span lines)',
    '  !info status                      one HMP command line',
    '  transaction( [key=value ...]      start a transaction (the keys are its properties);',
    '    TYPE key=value ...              one action per line, ")" sends it',
    '  quit                              asks first: QEMU exits',
    paint.bold('qmpsh commands'),
    ...rows,
    paint.bold('Keys'),
    '  Tab completes, Up/Down and Ctrl-R search history, Ctrl-C stops waiting or clears the line, Ctrl-D leaves',
  ].join('\n');
}
