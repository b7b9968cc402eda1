/** src/glob.ts: tables for each feature, then properties checked against bash itself (which must be installed). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFilter, globToRegExp as eventGlob } from '../../src/events.js';
import { expandPathGlob, globToRegExp, hasGlob, matchGlob } from '../../src/glob.js';
import { runs } from '../helpers/fuzz.js';

/** Runs `script` in one bash (C locale, no rc files) with `input` on stdin; a missing bash fails the test. */
function bash(script: string, input: string, args: string[] = []): string {
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', ...args], {
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
    maxBuffer: 64 << 20,
  });
  if (result.error) throw result.error;
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

/** bash's answer to `[[ $name == $pat ]]` for each pair; NUL-separated so it reads exactly our strings. */
function bashMatches(pairs: Array<[string, string]>, nocase = false): boolean[] {
  const script = `LC_ALL=C; shopt -u extglob; shopt -${nocase ? 's' : 'u'} nocasematch
    while IFS= read -r -d '' pat && IFS= read -r -d '' name; do
      if [[ $name == $pat ]]; then printf 1; else printf 0; fi
    done`;
  const out = bash(script, pairs.map(([p, n]) => `${p}\0${n}\0`).join(''));
  expect(out).toHaveLength(pairs.length);
  return [...out].map((c) => c === '1');
}

describe('matchGlob', () => {
  it.each<[string, string, boolean]>([
    ['*', '', true],
    ['*', 'a/b.qmp', true], // `/` is not special in pattern matching
    ['a*c', 'abbc', true],
    ['a*c', 'abcd', false],
    ['a**c', 'ac', true],
    ['?', 'a', true],
    ['?', '', false],
    ['?', '😀', true], // one code point, not one UTF-16 unit
    ['a?c', 'a\nc', true],
    ['[abc]', 'b', true],
    ['[abc]', 'd', false],
    ['[a-c]', 'b', true],
    ['[a-c]', 'd', false],
    ['[c-a]', 'b', false], // an inverted range matches nothing
    ['[a-]', '-', true],
    ['[!a].qmp', 'a.qmp', false],
    ['[!a].qmp', 'b.qmp', true],
    ['/run/vms/[!a].qmp', '/run/vms/b.qmp', true],
    ['[^a]', 'a', false],
    ['[^a]', 'b', true],
    ['[]a]', ']', true],
    ['[]a]', 'a', true],
    ['[!]a]', ']', false],
    ['[!]a]', 'b', true],
    ['[\\]]', ']', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['\\\\', '\\', true],
    ['\\a', 'a', true],
    ['a\\', 'a\\', true], // a trailing lone backslash is literal...
    ['a*\\', 'a\\', false], // ...except after `*`, where bash never matches
    ['[[:digit:]]', '7', true],
    ['[[:digit:]]', 'a', false],
    ['[[:alpha:]]', 'Q', true],
    ['[[:alpha:]]', '1', false],
    ['[[:alnum:]_]*', 'x_1', true],
    ['[[:upper:]]', 'a', false],
    ['[[:lower:]]', 'a', true],
    ['[[:space:]]', '\t', true],
    ['[[:punct:]]', '!', true],
    ['[[:punct:]]', 'a', false],
    ['[[:xdigit:]][[:xdigit:]]', 'fE', true],
    ['[[:xdigit:]]', 'g', false],
    ['[![:digit:]]', '5', false],
    ['[[:nosuch:]]', 'n', false],
    ['[ab', '[ab', true], // unterminated: `[` is a literal
    ['[ab', 'a', false],
    ['[', '[', true],
    ['[a\\', '[a\\', false], // bash gives up on a bracket ending in a backslash
    ['[[=a=]]', 'a', true],
    ['[[.-.]]', '-', true],
    ['é[é-ê]', 'éê', true], // ranges by code point
    ['a.b', 'axb', false],
    ['a+(b)|{c}$^', 'a+(b)|{c}$^', true],
    ['vm[1].qmp', 'vm1.qmp', true],
    ['vm[1].qmp', 'vm[1].qmp', false],
    ['vm\\[1\\].qmp', 'vm[1].qmp', true],
    ['vm\\[1\\].qmp', 'vm1.qmp', false],
  ])('%j ~ %j is %s', (pattern, name, expected) => {
    expect(matchGlob(pattern, name)).toBe(expected);
    expect(globToRegExp(pattern).test(name)).toBe(expected);
  });

  it('folds case on request', () => {
    expect(matchGlob('block_job_*', 'BLOCK_JOB_COMPLETED')).toBe(false);
    expect(matchGlob('block_job_*', 'BLOCK_JOB_COMPLETED', { ignoreCase: true })).toBe(true);
    expect(matchGlob('[a-c]x', 'BX', { ignoreCase: true })).toBe(true);
  });

  it('is what event filters use, case-insensitively', () => {
    expect(eventGlob('block_job_*').test('BLOCK_JOB_READY')).toBe(true);
    expect(eventGlob('BLOCK_JOB_[!C]*').test('BLOCK_JOB_READY')).toBe(true);
    expect(eventGlob('BLOCK_JOB_[!C]*').test('BLOCK_JOB_COMPLETED')).toBe(false);
    const accept = eventFilter({ names: ['SHUTDOWN', 'JOB_STATUS_CHANGE?'] });
    expect(accept({ event: 'shutdown', data: {}, timestamp: { seconds: 0, microseconds: 0 } })).toBe(true);
    expect(accept({ event: 'JOB_STATUS_CHANGE', data: {}, timestamp: { seconds: 0, microseconds: 0 } })).toBe(false);
  });
});

describe('hasGlob', () => {
  it.each<[string, boolean]>([
    ['/run/vm.qmp', false],
    ['/run/*.qmp', true],
    ['vm?.qmp', true],
    ['/run/*/vm.qmp', true],
    ['vm[1].qmp', true],
    ['[!a].qmp', true],
    ['vm\\[1\\].qmp', false],
    ['vm\\*.qmp', false],
    ['vm[1.qmp', false], // unterminated: a literal `[`
    ['[]', false],
    ['[]]', true],
    ['a\\', false],
  ])('%j: %s', (pattern, expected) => {
    expect(hasGlob(pattern)).toBe(expected);
  });

  it('a pattern without one matches only its own unescaped text', () => {
    expect(matchGlob('vm\\[1\\].qmp', 'vm[1].qmp')).toBe(true);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '[', ']', '\\', '!', '-') }), fc.string(), (pattern, name) => {
        if (!hasGlob(pattern) && matchGlob(pattern, name)) expect(name).toBe(pattern.replace(/\\(.)/gsu, '$1'));
      }),
      { numRuns: runs(2000) },
    );
  });
});

// Tokens for generated patterns: every special character, a POSIX class, and a few plain ones.
// `Z`, `_` and `a` make ranges across the letters' cases (`[Z-a]`) that nocasematch folds.
const TOKENS = [...'abAZ_.-*?[]!^\\01:=', '[[:digit:]]'];
const nameChar = fc.constantFrom(...'abABzZ_`.-[]!^\\017:*?');

/** A pattern, and a name that often fits it: each token is kept as text or replaced by a few name characters. */
const part = fc.record({
  token: fc.constantFrom(...TOKENS),
  keep: fc.boolean(),
  instead: fc.string({ unit: nameChar, maxLength: 2 }),
});
const patternAndName = fc.oneof(
  fc
    .array(part, { maxLength: 8 })
    .map((parts): [string, string] => [
      parts.map((p) => p.token).join(''),
      parts.map((p) => (p.keep ? p.token : p.instead)).join(''),
    ]),
  fc.tuple(
    fc.array(fc.constantFrom(...TOKENS), { maxLength: 8 }).map((tokens) => tokens.join('')),
    fc.string({ unit: nameChar, maxLength: 6 }),
  ),
);

describe('agrees with bash', () => {
  it.each([false, true])('on [[ $name == $pat ]] for generated patterns and names (nocasematch: %s)', (ignoreCase) => {
    const batch = runs(300); // pairs per bash process
    fc.assert(
      fc.property(fc.array(patternAndName, { minLength: batch, maxLength: batch }), (pairs) => {
        const expected = bashMatches(pairs, ignoreCase);
        const wrong = pairs
          .map(([pattern, name], i) => ({ pattern, name, bash: expected[i] }))
          .filter(({ pattern, name, bash }) => matchGlob(pattern, name, { ignoreCase }) !== bash);
        expect(wrong).toEqual([]);
      }),
      { numRuns: 10, endOnFailure: true }, // the message lists every disagreement; shrinking would rerun bash
    );
  });

  it('on hand-picked oddities', () => {
    const pairs: Array<[string, string]> = [
      ['[!a].qmp', 'a.qmp'], ['[!a].qmp', 'b.qmp'], ['a*\\', 'a\\'], ['a\\', 'a\\'], ['[a\\', '[a\\'],
      ['[[=a=]]', '[a]'], ['[a[:]:]', 'a:]'], ['[a[:]:]', '[a::]'], ['[a[.\\.]]', 'a'], ['[a[.\\.]]', '\\'],
      ['[[:alnum:]_]*', 'x_1'], ['[[:nosuch:]]', 'n'], ['vm\\[1\\].qmp', 'vm[1].qmp'], ['vm[1].qmp', 'vm[1].qmp'],
      // A bracket that ends in different places for different characters, between two stars: bash
      // commits to the first place where the text up to the next `*` fits (the `a`), never tries the `]`.
      ['*[[=a=]]*[[[=a=]]', '^ba]'], ['[[=a=]]*[[[=a=]]', ']'],
    ];
    expect(pairs.map(([p, n]) => matchGlob(p, n))).toEqual(bashMatches(pairs));
    const folded: Array<[string, string]> = [
      ['[!k]', 'K'], ['[Z-a]', 'z'], ['[[:upper:]]', 'a'], ['[A-C]', 'b'], ['BLOCK_*', 'block_x'], ['k', '\u212a'],
    ];
    expect(folded.map(([p, n]) => matchGlob(p, n, { ignoreCase: true }))).toEqual(bashMatches(folded, true));
  });

  it('without runaway backtracking', () => {
    const started = Date.now();
    expect(matchGlob('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(20_000))).toBe(false);
    expect(matchGlob('*?*?*?*?*?*?*?*?*?*x', 'y'.repeat(20_000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('expandPathGlob', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'qmpsh-glob-'));
    for (const dir of ['run', 'run/a', 'run/b', 'run/.hidden', 'run/c.d']) mkdirSync(join(root, dir));
    const files = 'a.qmp b.qmp B.qmp .a.qmp vm[1].qmp vm1.qmp a/vm.qmp b/vm.qmp .hidden/vm.qmp c.d/x';
    for (const file of files.split(' ')) writeFileSync(join(root, 'run', file), '');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each<[string, string[]]>([
    ['*.qmp', ['B.qmp', 'a.qmp', 'b.qmp', 'vm1.qmp', 'vm[1].qmp']], // byte order: upper case first
    ['[!a].qmp', ['B.qmp', 'b.qmp']],
    ['.*.qmp', ['.a.qmp']], // a dotfile needs a literal leading dot
    ['\\.*', ['.a.qmp', '.hidden']], // and `.` and `..` are never matched
    ['?', ['a', 'b']],
    ['*/vm.qmp', ['a/vm.qmp', 'b/vm.qmp']], // a glob in a directory component
    ['[ab]/*', ['a/vm.qmp', 'b/vm.qmp']],
    ['*/', ['a/', 'b/', 'c.d/']],
    ['*/x', ['c.d/x']],
    ['vm[1].qmp', ['vm1.qmp']],
    ['vm\\[1\\].qmp', ['vm[1].qmp']],
    ['vm\\[1\\]*', ['vm[1].qmp']],
    ['*.nope', []],
    ['nope/*', []],
    ['a.qmp/*', []],
    ['a.qmp', ['a.qmp']],
    ['nope.qmp', []],
  ])('%j', (pattern, expected) => {
    const dir = join(root, 'run');
    expect(expandPathGlob(`${dir}/${pattern}`)).toEqual(expected.map((p) => `${dir}/${p}`));
  });

  it('keeps a relative pattern relative', () => {
    const dir = relative(process.cwd(), join(root, 'run'));
    expect(expandPathGlob(`${dir}/[ab].qmp`)).toEqual([`${dir}/a.qmp`, `${dir}/b.qmp`]);
    expect(expandPathGlob(`./${dir}/*/vm.qmp`)).toEqual([`./${dir}/a/vm.qmp`, `./${dir}/b/vm.qmp`]);
  });

  it('agrees with bash pathname expansion (nullglob) on generated trees and patterns', () => {
    const fileName = fc.string({ unit: fc.constantFrom(...'abAZ.-[]!^01:\\'), minLength: 1, maxLength: 4 });
    const component = fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 5 }).map((tokens) => tokens.join(''));
    const pattern = fc.oneof(component, fc.tuple(component, component).map(([a, b]) => `${a}/${b}`));
    const script = `shopt -s nullglob; shopt -u extglob dotglob failglob; IFS=
      while read -r -d '' pat; do
        res=("$1"/$pat)
        printf '%d\\0' "\${#res[@]}"
        ((\${#res[@]})) && printf '%s\\0' "\${res[@]}"
      done
      true`;
    fc.assert(
      fc.property(
        fc.uniqueArray(fileName, { maxLength: 12 }),
        fc.uniqueArray(fileName, { maxLength: 6 }),
        fc.array(pattern, { minLength: 40, maxLength: 40 }),
        (files, subFiles, patterns) => {
          const dir = mkdtempSync(join(tmpdir(), 'qmpsh-glob-'));
          try {
            const real = (f: string) => f !== '.' && f !== '..';
            for (const [i, name] of files.filter(real).entries()) {
              // Every third name is a directory holding the same few files.
              if (i % 3 === 0) {
                mkdirSync(join(dir, name));
                for (const sub of subFiles.filter(real)) writeFileSync(join(dir, name, sub), '');
              } else writeFileSync(join(dir, name), '');
            }
            const globs = patterns.filter((p) => p.split('/').some(hasGlob)); // bash prints a non-glob as is
            const out = bash(script, globs.map((p) => `${p}\0`).join(''), [dir]).split('\0');
            for (const p of globs) {
              const count = Number(out.shift());
              expect({ p, got: expandPathGlob(`${dir}/${p}`) }).toEqual({ p, got: out.splice(0, count) });
            }
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: runs(15), endOnFailure: true },
    );
  });
});
