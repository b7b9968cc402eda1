// The licences of the third-party code esbuild bundled into the CLI (chalk,
// ora and what they bring), from its metafile: every package under
// node_modules that contributed bytes, with its licence text as shipped.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** node_modules/a/b.js -> node_modules/a; node_modules/@s/p/x.js -> node_modules/@s/p (the innermost package). */
function packageDir(input) {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const scoped = parts[at + 1]?.startsWith('@');
  return parts.slice(0, at + (scoped ? 3 : 2)).join('/');
}

export function writeNotices(metafile, outFile) {
  const dirs = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const dir = packageDir(input);
      if (dir && bytesInOutput > 0) dirs.add(dir);
    }
  }
  const sections = [...dirs].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    if (!file) throw new Error(`${pkg.name}: bundled but no licence file found in ${dir}`);
    const text = readFileSync(join(dir, file), 'utf8').trim();
    return `## ${pkg.name}@${pkg.version} (${pkg.license ?? 'see below'})\n\n${pkg.homepage ?? pkg.repository?.url ?? ''}\n\n\`\`\`\n${text}\n\`\`\`\n`;
  });
  const header =
    '# Third-party notices\n\n' +
    'dist/cli.cjs bundles the following packages. commander is not bundled: it is a dependency,\n' +
    'installed beside qmpsh with its own licence. The library (dist/lib) bundles nothing.\n\n';
  if (sections.length === 0) throw new Error('no bundled packages found: did the build change?');
  writeFileSync(outFile, header + sections.join('\n'));
}
