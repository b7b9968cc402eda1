/**
 * Tab completion. Pure: given what is known (command names from the running
 * QEMU, qmpsh's own commands, HMP commands), returns candidates for a line.
 * Argument completion plugs in through `ArgumentCompleter`
 * (completion/arguments.ts: the schema, live names, device properties).
 */
import type { ArgumentCompleter } from '../completion/arguments.js';

export interface CompletionSources {
  qmpCommands: () => readonly string[];
  shellCommands: () => readonly string[];
  hmpCommands: () => readonly string[];
  /** HMP's `info` subcommands (`info status`, `info block`, ...). */
  hmpInfo: () => readonly string[];
  hmpMode: () => boolean;
  inTransaction: () => boolean;
  transactionActions: () => readonly string[];
  /** Job ids (query-jobs), for `.wait`. */
  jobIds: () => readonly string[];
  /** Names `help` can describe: commands and events. */
  helpTopics: () => readonly string[];
  argumentCompleter?: ArgumentCompleter;
}

/** node:readline's completer contract: [candidates, the substring they replace]. */
export function complete(line: string, sources: CompletionSources): [string[], string] {
  const words = line.split(/\s+/);
  const partial = words.pop() ?? '';
  const first = words.length === 0;
  if (words.length === 1 && (words[0] === 'help' || words[0] === '.help')) {
    return [matching(sources.helpTopics(), partial), partial];
  }
  if (words.length === 1 && /^\.(events|verbose|pager)$/.test(words[0] as string)) {
    return [matching(['on', 'off'], partial), partial];
  }
  if (words.length === 1 && words[0] === '.wait') {
    return [matching([...new Set([...sources.jobIds(), 'migration'])], partial), partial];
  }
  if (first && partial.startsWith('.')) {
    return [matching(sources.shellCommands().map((c) => `.${c}`), partial), partial];
  }
  // `!info sta`, and `info sta` in HMP mode: info's subcommands.
  if (words.length === 1 && (words[0] === '!info' || (sources.hmpMode() && words[0] === 'info'))) {
    return [matching(sources.hmpInfo(), partial), partial];
  }
  if (first && partial.startsWith('!')) {
    const hits = matching(sources.hmpCommands(), partial.slice(1)).map((c) => `!${c}`);
    return [hits, partial];
  }
  if (sources.hmpMode()) {
    return [first ? matching(sources.hmpCommands(), partial) : [], partial];
  }
  if (sources.inTransaction()) {
    return [first ? matching([...sources.transactionActions(), ')'], partial) : [], partial];
  }
  if (first) {
    const names = [...sources.qmpCommands(), 'transaction('];
    return [matching(names, partial), partial];
  }
  const command = words[0] as string;
  const hits = sources.argumentCompleter?.complete(command, words.slice(1), partial) ?? [];
  return [hits, partial];
}

function matching(candidates: readonly string[], prefix: string): string[] {
  return candidates.filter((c) => c.startsWith(prefix)).sort();
}
