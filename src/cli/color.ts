/**
 * Colour is decided per stream (chalk does not read NO_COLOR). Precedence:
 * --no-color, then FORCE_COLOR (as in Node itself, it wins over NO_COLOR), then
 * NO_COLOR (no-color.org: set and non-empty), then whether the stream is a
 * terminal that is not TERM=dumb.
 */
import { Chalk } from 'chalk';
import type { Paint } from './format.js';

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

export function paintFor(stream: { isTTY?: boolean }, settings: ColorSettings): Paint {
  return new Chalk({ level: colorLevel(stream, settings) });
}
