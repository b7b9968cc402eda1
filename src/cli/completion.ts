/**
 * Shell completion for the one-shot CLI.
 *
 *   eval "$(qmpsh --completion bash)"      (or zsh; put it in ~/.bashrc / ~/.zshrc)
 *
 * The scripts call `qmpsh --complete LINE` with the line up to the cursor;
 * qmpsh answers with one candidate per line: options, then (with a target on
 * the line) command names and argument names and values from that QEMU's
 * schema, cached after the first time. `__files__` asks the shell to complete
 * a path (the target). Nothing is ever printed on stderr.
 */
import { parseAddress } from '../address.js';
import { Schema } from '../schema/schema.js';
import { QmpClient } from '../session.js';
import { tokenize } from '../shell/tokenize.js';
import { SchemaArgumentCompleter } from './repl/arg-completer.js';
import { SchemaAccess } from './schema-access.js';

const BASH = `# qmpsh completion for bash: eval "$(qmpsh --completion bash)"
_qmpsh() {
  local cur=\${COMP_WORDS[COMP_CWORD]} line=\${COMP_LINE:0:COMP_POINT}
  local IFS=$'\\n' c word strip
  local -a cands
  cands=($(qmpsh --complete "$line" 2>/dev/null))
  if [[ \${cands[0]} == __files__ ]]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
  # bash splits words at = and :, qmpsh answers whole words: keep the part bash replaces.
  word=\${line##*[[:space:]]}
  strip=\${word%"$cur"}
  COMPREPLY=()
  for c in "\${cands[@]}"; do [[ $c == "$word"* ]] && COMPREPLY+=("\${c#"$strip"}"); done
  [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *[=.] ]] && compopt -o nospace
}
complete -F _qmpsh qmpsh
`;

const ZSH = `# qmpsh completion for zsh: eval "$(qmpsh --completion zsh)"
_qmpsh() {
  local -a cands
  cands=("\${(@f)$(qmpsh --complete "$LBUFFER" 2>/dev/null)}")
  if [[ \${cands[1]} == __files__ ]]; then _files; return; fi
  compadd -S '' -- \${cands[@]}
}
compdef _qmpsh qmpsh
`;

export function completionScript(shell: string): string {
  if (shell === 'bash') return BASH;
  if (shell === 'zsh') return ZSH;
  throw new Error(`no completion for '${shell}': bash or zsh`);
}

/** Options that take a value (the word after them is not a positional). */
const VALUED = new Set([
  '--hmp', '--args', '--connect-timeout', '--timeout', '--max-message-size', '-f', '--file', '--event',
  '--count', '--wait-event', '--match', '--log', '--wait-socket', '--completion',
]);

export const OPTIONS = [
  '--hmp', '--args', '--json', '--pretty', '--compact', '--no-color', '--verbose', '--connect-timeout', '--timeout',
  '--max-message-size', '--file', '--keep-going', '--events', '--event', '--count', '--wait-event', '--match', '--log',
  '--read-only', '--wait-socket', '--no-validate', '--describe', '--show-secrets', '--debug', '--help', '--version',
  '--completion',
];

/** Candidates for the last (partial) word of `line`, one per line. */
export async function completeLine(line: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const tokens = tokenize(line.trimStart());
  const words = tokens.ok ? tokens.words : line.trim().split(/\s+/);
  if (/\s$/.test(line) || words.length <= 1) words.push('');
  words.shift(); // the program's name
  const partial = words.pop() as string;
  const previous = words[words.length - 1];

  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w.startsWith('-')) {
      if (VALUED.has(w)) i++;
      continue;
    }
    positionals.push(w);
  }
  if (previous === '--completion') return ['bash', 'zsh'].filter((s) => s.startsWith(partial));
  if (partial.startsWith('-')) return OPTIONS.filter((o) => o.startsWith(partial));
  if (previous === '--file' || previous === '-f' || previous === '--log') return ['__files__'];
  if (previous && VALUED.has(previous) && !['--wait-event', '--event'].includes(previous)) return [];

  const hasTarget = positionals.length > 0 && !(env.QMPSH_TARGET && !/[/:]/.test(positionals[0] as string));
  const target = hasTarget ? (positionals.shift() as string) : env.QMPSH_TARGET;
  if (!target) return ['__files__'];
  const schema = await schemaOf(target);
  if (!schema) return [];
  if (previous === '--wait-event' || previous === '--event') return schema.events.filter((e) => e.startsWith(partial));
  if (previous === '--describe') return [...schema.commands, ...schema.events].filter((n) => n.startsWith(partial));
  const command = positionals.shift();
  if (command === undefined) return schema.commands.filter((c) => c.startsWith(partial));
  const completer = new SchemaArgumentCompleter(() => schema, () => ({ devices: [], nodes: [], jobs: [], ids: [] }));
  return completer.complete(command, positionals, partial);
}

/** The target's schema: the cache, else fetched once (quickly, or not at all). */
async function schemaOf(target: string): Promise<Schema | undefined> {
  let client: QmpClient | undefined;
  try {
    client = await QmpClient.connect(parseAddress(target), { connectTimeoutMs: 1000, commandTimeoutMs: 3000 });
    return await new SchemaAccess(client, { validate: true, warn: () => {}, note: () => {} }).full();
  } catch {
    return undefined;
  } finally {
    client?.close();
  }
}
