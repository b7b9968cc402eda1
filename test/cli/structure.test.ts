/**
 * The CLI's layout keeps its guarantees by construction; these checks keep
 * the construction: one output sink, one gate, one session factory, no
 * import circles.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../src/cli/', import.meta.url));
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const cliFiles = files(CLI).map((p) => ({ path: relative(CLI, p), text: readFileSync(p, 'utf8') }));

/** Source without comments (so a comment may mention what the code may not do). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('the CLI layout', () => {
  it('writes to the terminal only through the output sink (output/io.ts)', () => {
    const offenders = cliFiles
      .filter((f) => f.path !== 'output/io.ts')
      .filter((f) => /process\.(stdout|stderr)\.write|console\.(log|error|warn|info)/.test(code(f.text)))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it("sends a user's request only through the gate (core/gate.ts)", () => {
    // Anywhere else, a request's name is a literal: what qmpsh asks for itself.
    const offenders = cliFiles
      .filter((f) => f.path !== 'core/gate.ts' && f.path !== 'core/internal.ts')
      .flatMap((f) => [...code(f.text).matchAll(/\.execute\(\s*([^'"\s)][^,)]*)/g)].map((m) => `${f.path}: execute(${m[1]}`));
    expect(offenders).toEqual([]);
    const hmp = cliFiles.filter((f) => f.path !== 'core/gate.ts' && /\brunHmp\(/.test(code(f.text))).map((f) => f.path);
    // HMP lines qmpsh runs itself (`help`, `help info`, for completion) are a closed list in core/internal.ts.
    expect(hmp).toEqual(['core/internal.ts']);
    expect(/runHmp\(client, line, /.test(cliFiles.find((f) => f.path === 'core/internal.ts')!.text)).toBe(true);
  });

  it('makes sessions only in the session factory (core/session.ts)', () => {
    const offenders = cliFiles
      .filter((f) => /new QmpClient\(|QmpClient\.connect\(/.test(code(f.text)))
      .map((f) => f.path);
    // Completion's hook is silent by design: no log, no -v, nothing on stderr.
    expect(offenders.sort()).toEqual(['completion/complete.ts', 'core/session.ts']);
  });

  it('installs no signal handler outside core/interrupt.ts', () => {
    const offenders = cliFiles
      .filter((f) => f.path !== 'core/interrupt.ts')
      .filter((f) => /process\.(on|once)\(\s*'SIG/.test(code(f.text)))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('has no import circles', () => {
    const graph = new Map<string, string[]>();
    for (const p of files(SRC)) {
      const deps = [...readFileSync(p, 'utf8').matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)].map((m) =>
        resolve(dirname(p), (m[1] as string).replace(/\.js$/, '.ts')),
      );
      graph.set(p, deps);
    }
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (p: string) => {
      if (state.get(p) === 'done') return;
      if (state.get(p) === 'open') {
        circles.push(stack.slice(stack.indexOf(p)).concat(p).map((q) => relative(SRC, q)).join(' -> '));
        return;
      }
      state.set(p, 'open');
      stack.push(p);
      for (const d of graph.get(p) ?? []) visit(d);
      stack.pop();
      state.set(p, 'done');
    };
    for (const p of graph.keys()) visit(p);
    expect(circles).toEqual([]);
  });

  it('keeps the library free of the CLI: no CLI flag named in a library message', () => {
    const library = files(SRC).filter((p) => !p.startsWith(CLI));
    const offenders = library.flatMap((p) =>
      [...code(readFileSync(p, 'utf8')).matchAll(/(['"`])((?:(?!\1)[^\\\n]|\\.)*)\1/g)].flatMap((literal) =>
        [...(literal[2] as string).matchAll(/(?:^|[\s(])(--[a-z][a-z-]+)/g)].map((m) => `${relative(SRC, p)}: ${m[1]}`),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
