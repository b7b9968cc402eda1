/** Every name the package exports ('qmpsh' and 'qmpsh/testing') is documented in docs/library.md. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function exportedNames(entry: string): string[] {
  const program = ts.createProgram([ROOT + entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(ROOT + entry)!)!;
  return checker.getExportsOfModule(symbol).map((s) => s.getName());
}

describe('docs/library.md', () => {
  const doc = readFileSync(ROOT + 'docs/library.md', 'utf8');
  // In a code span or block, as a whole word.
  const code = [...doc.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)].map((m) => m[0]).join('\n');

  for (const entry of ['src/index.ts', 'src/testing/index.ts']) {
    it(`documents every export of ${entry}`, () => {
      const names = exportedNames(entry);
      expect(names.length).toBeGreaterThan(20 * Number(entry === 'src/index.ts'));
      expect(names.filter((n) => !new RegExp(`\\b${n}\\b`).test(code))).toEqual([]);
    });
  }
});
