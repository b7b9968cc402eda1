/**
 * The CLI's streams: data on stdout, everything else on stderr. A closed
 * stdout (`qmpsh ... | head -1`) ends output quietly instead of failing.
 */
import type { Paint } from './format.js';
import { paintsFor, type ColorSettings } from './color.js';

export interface Io {
  out(line: string): void;
  outRaw(text: string): void;
  err(line: string): void;
  warn(message: string): void;
  readonly stdoutIsTTY: boolean;
  readonly outPaint: Paint;
  readonly errPaint: Paint;
}

export async function processIo(settings: ColorSettings): Promise<Io> {
  let stdoutClosed = false;
  let corked = false;
  const uncork = () => {
    corked = false;
    process.stdout.uncork();
  };
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') {
      stdoutClosed = true;
      return;
    }
    throw err;
  });
  // stderr closed too: nothing left to tell anyone.
  process.stderr.on('error', () => {});
  const paints = await paintsFor(process, settings);
  const errPaint = paints.err;
  return {
    out(line) {
      if (stdoutClosed) return;
      // Lines written in one tick go out in one write (a batch prints thousands).
      if (!corked) {
        corked = true;
        process.stdout.cork();
        process.nextTick(uncork);
      }
      process.stdout.write(`${line}\n`);
    },
    outRaw(text) {
      if (!stdoutClosed && text !== '') process.stdout.write(text);
    },
    err(line) {
      process.stderr.write(`${line}\n`);
    },
    warn(message) {
      process.stderr.write(`${errPaint.yellow('qmpsh: warning:')} ${message}\n`);
    },
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    outPaint: paints.out,
    errPaint,
  };
}
