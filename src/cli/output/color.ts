/**
 * Colour is decided per stream (chalk does not read NO_COLOR). Precedence:
 * --no-color, then FORCE_COLOR (as in Node itself, it wins over NO_COLOR), then
 * NO_COLOR (no-color.org: set and non-empty), then whether the stream is a
 * terminal that is not TERM=dumb.
 */
import { PLAIN, type Paint } from './format.js';

export interface ColorSettings {
  /** false when --no-color was given. */
  color: boolean;
  env: NodeJS.ProcessEnv;
}

export function colorLevel(stream: { isTTY?: boolean }, settings: ColorSettings): 0 | 1 | 2 | 3 {
  if (!settings.color) return 0;
  const force = settings.env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2') return 2;
    if (force === '3') return 3;
    return 1;
  }
  if (settings.env.NO_COLOR) return 0;
  if (!stream.isTTY || settings.env.TERM === 'dumb') return 0;
  return 1;
}

/**
 * Paints for stdout and stderr. chalk is loaded only when a stream gets
 * colour: a one-shot into a pipe (the scripting case) never pays for it.
 */
export async function paintsFor(
  streams: { stdout: { isTTY?: boolean }; stderr: { isTTY?: boolean } },
  settings: ColorSettings,
): Promise<{ out: Paint; err: Paint }> {
  const outLevel = colorLevel(streams.stdout, settings);
  const errLevel = colorLevel(streams.stderr, settings);
  if (outLevel === 0 && errLevel === 0) return { out: PLAIN, err: PLAIN };
  const { Chalk } = await import('chalk');
  return {
    out: outLevel ? new Chalk({ level: outLevel }) : PLAIN,
    err: errLevel ? new Chalk({ level: errLevel }) : PLAIN,
  };
}
