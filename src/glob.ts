/**
 * Shell glob patterns with bash's semantics (bash 5.2, LC_ALL=C, extglob off):
 * socket-path targets (`/run/vms/[!a].qmp`) and event names (`BLOCK_JOB_*`).
 *
 * Users type these as they would in bash, so "close enough" is not enough: the
 * bracket parsing is a port of bash's BRACKMATCH (lib/glob/sm_loop.c), quirks
 * included, and test/unit/glob.test.ts checks the result against bash itself.
 * Patterns compile to a RegExp (event filters keep one per name); code points
 * stand in for the C locale's bytes.
 */
import { lstatSync, readdirSync } from 'node:fs';

export interface GlobOptions {
  /**
   * bash's nocasematch in the C locale: ASCII letters only, and `[[:upper:]]` still means upper case.
   * Built into the RegExp, not its `i` flag, which folds more (U+212A KELVIN SIGN is a `k`).
   */
  ignoreCase?: boolean;
}

type Ranges = Array<[number, number]>; // inclusive code point ranges
/** Where a bracket expression leaves the pattern: the index after its `]`, or how bash gave up. */
type Stop = number | 'unterminated' | 'invalid';

const EOS = -1; // bash's terminating NUL (a JS string may hold a real U+0000)
const STAR = 0x2a, QUERY = 0x3f, OPEN = 0x5b, CLOSE = 0x5d, BACKSLASH = 0x5c;
const BANG = 0x21, CARET = 0x5e, DASH = 0x2d, COLON = 0x3a, DOT = 0x2e, EQUALS = 0x3d;
const codePoint = (ch: string) => ch.codePointAt(0)!;
const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 32 : c); // the C locale's tolower

/** POSIX classes in the C locale, plus bash's `ascii` and `word`. */
const CLASSES = new Map<string, Ranges>(
  Object.entries({
    alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\0-\x7f', blank: '\t ', cntrl: '\0-\x1f\x7f', digit: '0-9',
    graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-/:-@[-`{-~', space: '\t-\r ', upper: 'A-Z',
    word: '0-9A-Z_a-z', xdigit: '0-9A-Fa-f',
  }).map(([name, spec]) => [
    name,
    [...spec.matchAll(/(.)(?:-(.))?/gs)].map(([, a, b]): [number, number] => [codePoint(a!), codePoint(b ?? a!)]),
  ]),
);

function subtract(set: Ranges, cut: Ranges): Ranges {
  for (const [a, b] of cut) {
    set = set.flatMap(([lo, hi]): Ranges =>
      b < lo || a > hi ? [[lo, hi]] : ([[lo, a - 1], [b + 1, hi]] as Ranges).filter(([x, y]) => x <= y),
    );
  }
  return set;
}

/** Like bash: compare code points, folding both ends and the character under nocasematch. */
function range(lo: number, hi: number, fold: boolean): Ranges {
  if (fold) [lo, hi] = [lower(lo), lower(hi)];
  if (lo === EOS || hi === EOS || lo > hi) return []; // an inverted range matches nothing
  if (!fold) return [[lo, hi]];
  const [a, z] = [Math.max(lo, 0x61), Math.min(hi, 0x7a)]; // its lower-case letters bring their capitals
  return [...subtract([[lo, hi]], [[0x41, 0x5a]]), ...(a <= z ? ([[a - 32, z - 32]] as Ranges) : [])];
}

/**
 * BRACKMATCH's scan for a character that matches no member. Its course never
 * depends on the character, so one pass lists every member, with `after`: where
 * bash's other scan (skipRest) starts once that member matched. Kept oddities:
 * `[[=a=]]` does not end at its second `]`; a `[:` without `:]` drops the `[`;
 * collating symbols are single characters (`[.-.]`; named ones match nothing).
 */
function scanBracket(p: number[], open: number, fold: boolean) {
  const at = (i: number) => p[i] ?? EOS;
  let j = open + 1;
  const negated = at(j) === BANG || at(j) === CARET;
  if (negated) j++;
  const members: Array<{ set: Ranges; after: number }> = [];
  const end = (stop: Stop) => ({ negated, members, stop });
  const collatingSymbol = () => {
    const close = p.findIndex((c, i) => i > j && c === DOT && at(i + 1) === CLOSE); // j is at the `.` of `[.`
    const value = close === j + 2 ? at(j + 1) : EOS;
    j = close < 0 ? p.length : close + 2;
    return value;
  };
  let c = at(j++);
  for (;;) {
    if (c === OPEN && at(j) === EQUALS && at(j + 2) === EQUALS && at(j + 3) === CLOSE) {
      members.push({ set: range(at(j + 1), at(j + 1), fold), after: j + 4 });
      j += 4;
      c = at(j++);
      if (c === EOS) return end('unterminated');
      continue; // no check for `]` here in bash
    }
    if (c === OPEN && at(j) === COLON) {
      const close = p.findIndex((ch, i) => i > j && ch === COLON && at(i + 1) === CLOSE);
      if (close >= 0) {
        const name = String.fromCodePoint(...p.slice(j + 1, close)).replace(/\\(.?)/gsu, '$1'); // bash dequotes it
        j = close + 2;
        members.push({ set: CLASSES.get(name) ?? [], after: j });
      }
      c = at(j++);
      if (c === EOS) return end('unterminated');
      if (c === CLOSE) return end(j);
      continue;
    }
    let lo = c === OPEN && at(j) === DOT ? collatingSymbol() : c;
    if (c === BACKSLASH) {
      if (at(j) === EOS) return end('invalid');
      lo = at(j++);
    }
    if (c === EOS) return end('unterminated');
    c = at(j++);
    if (c === EOS) return end('unterminated');
    let hi = lo;
    if (c === DASH && at(j) !== CLOSE) {
      hi = at(j++);
      if (hi === BACKSLASH) hi = at(j++);
      if (hi === EOS) return end('invalid');
      if (hi === OPEN && at(j) === DOT) hi = collatingSymbol();
      c = at(j++);
    }
    members.push({ set: range(lo, hi, fold), after: j - 1 });
    if (c === CLOSE) return end(j);
  }
}

/** BRACKMATCH's cruder search for the `]` once a member matched; it can disagree (`[a[.\.]]` matches only `\`). */
function skipRest(p: number[], from: number): Stop {
  const at = (i: number) => p[i] ?? EOS;
  let j = from, c = at(j), depth = 1, inner = -1; // inner: where the `:`, `.` or `=` after an inner `[` is
  while (depth > 0) {
    if (c === EOS) return 'unterminated';
    const prev = c;
    c = at(j++);
    if (c === OPEN && (at(j) === EQUALS || at(j) === COLON || at(j) === DOT)) {
      depth++;
      inner = j++;
      c = at(j);
      if (c === EOS) return 'unterminated';
    } else if (c === CLOSE && depth > 1 && inner >= 0 && prev === at(inner)) {
      depth--;
      inner = -1;
    } else if (c === CLOSE && (inner < 0 || at(inner) !== DOT)) {
      depth = 0;
    } else if (c === BACKSLASH) {
      if (at(j) === EOS) return 'invalid';
      j++;
    }
  }
  return j;
}

/**
 * Where matching goes on after the bracket at `open`, and for which characters.
 * An unterminated bracket matches a literal `[` and goes on right after it; the
 * scans' quirks can make the place depend on the character, hence a list.
 */
function bracketTargets(p: number[], open: number, fold: boolean): Array<[number, Ranges]> {
  const { negated, members, stop } = scanBracket(p, open, fold);
  const targets = new Map<number, Ranges>();
  const add = (end: Stop, member: boolean, set: Ranges, c = EOS) => {
    const to = typeof end === 'number' ? (member !== negated ? end : undefined)
      : end === 'unterminated' && c === OPEN ? open + 1 : undefined;
    if (to !== undefined && set.length) targets.set(to, [...(targets.get(to) ?? []), ...set]);
  };
  const earlier: Ranges = []; // bash stops at the first member that matches
  for (const { set, after } of members) {
    add(skipRest(p, after), true, subtract(set, [...earlier, [OPEN, OPEN]]));
    earlier.push(...set);
  }
  add(stop, false, subtract([[0, 0x10ffff]], [...earlier, [OPEN, OPEN]]));
  const first = members.find((m) => m.set.some(([lo, hi]) => lo <= OPEN && OPEN <= hi));
  if (first) add(skipRest(p, first.after), true, [[OPEN, OPEN]], OPEN);
  else add(stop, false, [[OPEN, OPEN]], OPEN);
  return [...targets];
}

const hex = (c: number) => `\\u{${c.toString(16)}}`;
const alt = (xs: string[]) => (xs.length === 1 ? xs[0]! : xs.length ? `(?:${xs.join('|')})` : '(?!)');
function literal(c: number, fold: boolean): string {
  const ch = String.fromCodePoint(c);
  if (fold && /^[A-Za-z]$/.test(ch)) return `[${ch.toUpperCase()}${ch.toLowerCase()}]`;
  return /^\w$/.test(ch) ? ch : hex(c);
}
function charClass(set: Ranges): string {
  const [lo, hi] = set[0]!;
  if (set.length === 1 && lo === hi) return hex(lo);
  return `[${set.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('')}]`;
}

/** `glob`: met a wildcard; `groups`: capture groups so far. */
type Compiling = { fold: boolean; glob: boolean; groups: number };
/** RegExp source for one way through the pattern up to the `*` at `star`, or to the end (`$`). */
type Way = { source: string; star?: number };

/** The ways from p[pos] to the next `*`: one, unless a bracket forks (`[[=a=]]`), none if bash gives up (`[a\`). */
function ways(p: number[], pos: number, st: Compiling): Way[] {
  let source = '';
  while (pos < p.length) {
    const c = p[pos]!;
    if (c === STAR) return [{ source, star: pos }];
    if (c === QUERY) {
      st.glob = true;
      source += '[^]';
      pos++;
    } else if (c === BACKSLASH) {
      source += literal(p[pos + 1] ?? BACKSLASH, st.fold); // a trailing lone backslash stands for itself
      pos += 2;
    } else if (c === OPEN) {
      const targets = bracketTargets(p, pos, st.fold);
      if (targets.some(([to]) => to !== pos + 1)) st.glob = true; // else it only ever is a literal `[`
      const [only, ...more] = targets;
      if (!only || more.length) {
        const before = source;
        const fork = ([to, set]: [number, Ranges]) =>
          ways(p, to, st).map((w) => ({ ...w, source: before + charClass(set) + w.source }));
        return targets.flatMap(fork);
      }
      source += charClass(only[1]);
      pos = only[0];
    } else {
      source += literal(c, st.fold);
      pos++;
    }
  }
  return [{ source: `${source}$` }];
}

/**
 * The `*` run at p[star] and all after it. Like bash, take the first place where
 * the text up to the next `*` fits, and commit (an atomic lookahead): right for
 * globs, as the next `*` takes up any slack, and no runaway backtracking on
 * `*a*a*a*b`. Forked ways race for the first place, as they do in bash.
 */
function afterStar(p: number[], star: number, st: Compiling): string {
  st.glob = true;
  let pos = star, source = '';
  for (; p[pos] === STAR || p[pos] === QUERY; pos++) if (p[pos] === QUERY) source += '[^]'; // `*?*` = `?*`
  if (pos === p.length) return `${source}[^]*$`;
  // bash's `*` only tries places where the next pattern character could match, and it takes a
  // trailing lone backslash to be the NUL after it: `a*\` matches nothing at all.
  if (p[pos] === BACKSLASH && pos === p.length - 1) return '(?!)';
  const next = ways(p, pos, st);
  const skip = next.length > 1 ? `(?:(?!${alt(next.map((w) => w.source))})[^])*?` : '[^]*?';
  const branches = next.map((w) => {
    if (w.star === undefined) return skip + w.source;
    const group = ++st.groups; // numbered in the order they appear in the source
    return `(?=(${skip}${w.source}))\\${group}${afterStar(p, w.star, st)}`;
  });
  return source + alt(branches);
}

function compile(pattern: string, fold: boolean): { source: string; glob: boolean } {
  const p = Array.from(pattern, codePoint);
  const st: Compiling = { fold, glob: false, groups: 0 };
  const source = alt(ways(p, 0, st).map((w) => w.source + (w.star === undefined ? '' : afterStar(p, w.star, st))));
  return { source: `^${source}`, glob: st.glob };
}

/** True if the pattern can match anything other than its own unescaped text. */
export function hasGlob(pattern: string): boolean {
  return compile(pattern, false).glob;
}

/** Anchored; the semantics of bash's `[[ name == $pattern ]]`. */
export function globToRegExp(pattern: string, options: GlobOptions = {}): RegExp {
  return new RegExp(compile(pattern, options.ignoreCase ?? false).source, 'u');
}

export function matchGlob(pattern: string, name: string, options: GlobOptions = {}): boolean {
  return globToRegExp(pattern, options).test(name);
}

/**
 * Pathname expansion as bash does it with default shopts, except that no match
 * gives [] rather than the pattern. Each `/`-separated component is matched on
 * its own (directory components too); a leading dot must be matched by a
 * literal one; results are sorted by bytes, as bash sorts in the C locale, and
 * keep the pattern's form (relative stays relative).
 */
export function expandPathGlob(pattern: string): string[] {
  let found = [''];
  pattern.split('/').forEach((part, i) => {
    const join = (base: string, name: string) => (i === 0 ? name : `${base}/${name}`);
    if (!hasGlob(part)) {
      const name = part.replace(/\\(.?)/gsu, '$1'); // here bash drops a trailing lone backslash
      found = found.map((base) => join(base, name));
      return;
    }
    const re = globToRegExp(part);
    const dotOk = part.startsWith('.') || part.startsWith('\\.');
    found = found.flatMap((base) => {
      let names: string[];
      try {
        names = readdirSync(i === 0 ? '.' : base === '' ? '/' : base); // never lists `.` and `..`
      } catch {
        return []; // missing, unreadable or not a directory: matches nothing
      }
      return names.filter((name) => (dotOk || !name.startsWith('.')) && re.test(name)).map((name) => join(base, name));
    });
  });
  // Literal components were taken on trust; like bash, keep only what exists.
  return found.filter(exists).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
