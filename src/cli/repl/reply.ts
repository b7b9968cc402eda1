/**
 * How the REPL shows a reply: above the prompt, or, when it is taller than
 * the screen and the pager is on (and stdout is a terminal), through the
 * pager (output/pager.ts), as git does. While the pager runs, the REPL stops
 * reading the terminal (the keys are the pager's), leaves raw mode, and
 * Ctrl-C is the pager's alone (core/interrupt.ts holds SIGINT), and events
 * wait (they would be written over the pager's screen); afterwards the
 * terminal is given back to readline as it was and the events are shown.
 */
import type { Interface } from 'node:readline';
import { holdInterrupts } from '../core/interrupt.js';
import type { Io } from '../output/io.js';
import { pagerCommand, screenRows } from '../output/pager.js';
import type { ReplSettings } from './shell-commands.js';

export type ShowReply = (text: string, kind?: 'ours' | 'peer') => Promise<void>;

/** Told when the pager takes the screen and gives it back (events are held meanwhile). */
export interface PagerHold {
  start(): void;
  end(): void;
}

export function replyShower(io: Io, rl: Interface, settings: ReplSettings, say: (text: string) => void, hold: PagerHold): ShowReply {
  return async (text, kind = 'ours') => {
    const command = pagerCommand();
    const rows = io.stdout.rows ?? 0;
    const tall = rows > 0 && screenRows(text.replace(/\n$/, ''), io.stdout.columns ?? 80) >= rows;
    if (!settings.pager || !command || !io.stdoutIsTTY || !process.stdin.isTTY || !tall) {
      if (kind === 'ours') say(text);
      else io.outText(text.endsWith('\n') ? text : `${text}\n`);
      return;
    }
    await io.flush();
    hold.start();
    const release = holdInterrupts();
    rl.pause();
    process.stdin.setRawMode(false);
    try {
      if (!(await io.page(text, kind, command))) {
        io.warn(`the pager '${command}' did not run (set PAGER, or .pager off)`);
        if (kind === 'ours') io.out(text);
        else io.outText(text);
      }
    } finally {
      process.stdin.setRawMode(true);
      rl.resume();
      release();
      hold.end();
    }
  };
}
