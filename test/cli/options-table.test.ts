/**
 * The option table (src/cli/options/table.ts) is the one source of parsing,
 * --help, shell completion and the README's option table: these fail when any
 * of them drifts from it. QMPSH_UPDATE_README=1 rewrites the README's table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { completeLine, optionWords } from '../../src/cli/completion/complete.js';
import { OPTIONS, flagsOf, optionsMarkdown } from '../../src/cli/options/table.js';
import { runCli } from '../helpers/run-cli.js';

const README = new URL('../../README.md', import.meta.url);
const START = '<!-- options:start -->';
const END = '<!-- options:end -->';

describe('the option table', () => {
  it('is the README option table', () => {
    const text = readFileSync(README, 'utf8');
    const i = text.indexOf(START);
    const j = text.indexOf(END);
    expect(i).toBeGreaterThan(0);
    const current = text.slice(i + START.length, j).trim();
    if (process.env.QMPSH_UPDATE_README === '1' && current !== optionsMarkdown()) {
      writeFileSync(README, `${text.slice(0, i + START.length)}\n${optionsMarkdown()}\n${text.slice(j)}`);
      return;
    }
    expect(current, 'run QMPSH_UPDATE_README=1 npx vitest run test/cli/options-table.test.ts').toBe(optionsMarkdown());
  });

  it('is what --help lists, every option and no other', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    const listed = [...r.stdout.matchAll(/^ {2}((?:-\w, )?--[\w-]+)/gm)].map((m) => m[1]);
    const expected = OPTIONS.map((o) => (o.short ? `-${o.short}, --${o.long}` : `--${o.long}`));
    expect(new Set(listed)).toEqual(new Set(expected));
    for (const o of OPTIONS) expect(r.stdout).toContain(flagsOf(o));
  });

  it('is what shell completion offers for options', async () => {
    expect(new Set(await completeLine('qmpsh -'))).toEqual(new Set(optionWords()));
    expect(new Set(optionWords())).toEqual(
      new Set(OPTIONS.flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])])),
    );
    // Every option that takes a value completes that value as the table says.
    for (const o of OPTIONS) {
      if (!o.value || o.optionalValue) continue;
      const got = await completeLine(`qmpsh --${o.long} `, {});
      if (Array.isArray(o.complete)) expect(got).toEqual([...o.complete]);
      else if (o.complete === 'files') expect(got).toEqual(['__files__']);
      else if (o.complete === 'none') expect(got).toEqual([]);
    }
  });

  it('the hidden completion hook is not a user option', () => {
    expect(OPTIONS.some((o) => o.long === '_complete')).toBe(false);
    // --complete (finish a mirror with --wait) is a user option, and only that.
    expect(OPTIONS.find((o) => o.long === 'complete')?.modes).toEqual(['wait']);
  });
});
