/**
 * Making peer text inert before it reaches a terminal. Pure.
 *
 * Text from a QMP peer (QEMU, a guest agent, a hostile server) may hold
 * terminal control sequences: ESC[2J clears the screen, OSC 0 sets the window
 * title, U+009B is a one-byte CSI on terminals that honour C1, U+202E turns the
 * rest of a line around. `inert` writes each such character as a visible
 * escape instead, so the text is shown, never obeyed.
 *
 * What is escaped (UNSAFE_CHARS): every C0 control except `\n` and `\t`
 * (so ESC, BEL, BS and `\r` too), DEL, every C1 control (U+0080-U+009F), the
 * bidi controls U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, and the
 * separators U+2028 and U+2029. A `\r\n` pair becomes `\n` first: QEMU's HMP
 * text ends lines with CRLF. A lone `\r` is escaped (it would let later text
 * overwrite the start of the line).
 *
 * How (one convention): a character below U+0080 becomes `\xHH`, any other
 * `\uHHHH`, hex in lower case: ESC -> `\x1b`, DEL -> `\x7f`, U+009B ->
 * `\u009b`, U+202E -> `\u202e`.
 *
 * The output is for people, not a reversible encoding: a backslash is not
 * escaped, so the text `\x1b` and an escaped ESC look the same. Both functions
 * are idempotent, and their output never holds an unsafe character (except,
 * for inertKeepingSgr, an ESC that starts an SGR sequence).
 *
 * Speed: these run on every output line, so a text with nothing to escape is
 * found by one regex test and returned as it is (no copy).
 */

/**
 * The unsafe characters, as the body of a regex character class (without the
 * brackets), for building other regexes. src/protocol/json.ts keeps its own
 * list instead of importing this one (the library must not depend on the CLI);
 * test/unit/json.test.ts checks that JSON output never holds any of these.
 */
export const UNSAFE_CHARS =
  '\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/** The same set without ESC (for inertKeepingSgr, which treats ESC on its own). */
const UNSAFE_BUT_ESC =
  '\\x00-\\x08\\x0b-\\x1a\\x1c-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/** An SGR tail: what follows ESC in a colour sequence like ESC[1;31m. */
const SGR_TAIL = '\\[[0-9;]*m';

const ANY_UNSAFE = new RegExp(`[${UNSAFE_CHARS}]`);
const EACH_UNSAFE = new RegExp(`[${UNSAFE_CHARS}]`, 'g');

// An unsafe character other than ESC, or an ESC that does not start an SGR.
const ANY_UNSAFE_BUT_SGR = new RegExp(`[${UNSAFE_BUT_ESC}]|\\x1b(?!${SGR_TAIL})`);
const EACH_UNSAFE_BUT_SGR = new RegExp(ANY_UNSAFE_BUT_SGR.source, 'g');

/** The visible forms of U+0000-U+009F, made once: C0 and DEL as \xHH, C1 as \u00HH. */
const VISIBLE = Array.from({ length: 0xa0 }, (_, code) =>
  code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`,
);

/**
 * A replace callback: the visible form of one unsafe character; the `\r` of a
 * `\r\n` pair is dropped instead (its `\n` is safe and stays). Matching single
 * characters, not `\r\n|[...]`, keeps the regex a plain class (measured faster).
 */
function escapeOne(match: string, offset: number, text: string): string {
  const code = match.charCodeAt(0);
  if (code === 0x0d && text.charCodeAt(offset + 1) === 0x0a) return '';
  return VISIBLE[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every unsafe character written as a visible escape (see the top of this file). */
export function inert(text: string): string {
  if (!ANY_UNSAFE.test(text)) return text;
  return text.replace(EACH_UNSAFE, escapeOne);
}

/**
 * Like `inert`, but SGR colour sequences, exactly ESC `[` (digits and `;`)* `m`,
 * stay raw: for text already painted by qmpsh's own colours (chalk). Any other
 * escape sequence (cursor moves, ESC[2J, OSC titles) and a bare ESC are
 * escaped as in `inert`.
 *
 * SGR codes from a peer are kept too (ESC[8m hides text, ESC[5m blinks): where
 * possible, pass peer text through `inert` before painting it, and keep this
 * function for text whose escapes can only be qmpsh's own.
 */
export function inertKeepingSgr(text: string): string {
  if (!ANY_UNSAFE_BUT_SGR.test(text)) return text;
  return text.replace(EACH_UNSAFE_BUT_SGR, escapeOne);
}

/** Nothing in the text would be escaped: it is safe to show as it is. */
export function isInert(text: string): boolean {
  return inert(text) === text;
}
