/**
 * The command line -> one Invocation (options/decide.ts). commander
 * (options/commander.ts) is loaded only when an option is given: the common
 * one-shot form `qmpsh TARGET COMMAND key=value ...` has none, and goes
 * straight to the same decision with nothing given.
 */
import type { HelpShown } from './commander.js';
import { decide, type DecideContext, type Invocation } from './decide.js';

export async function parseCommandLine(
  argv: readonly string[],
  version: string,
  context: Omit<DecideContext, 'launchArgv'> & { print: (text: string) => void },
): Promise<Invocation | HelpShown> {
  const words = argv.slice(2);
  if (words.every((w) => !w.startsWith('-'))) return decide(new Map(), words, context);
  const { parseWithCommander, HelpShown: Shown } = await import('./commander.js');
  const parsed = parseWithCommander(argv, version, context.print);
  if (parsed instanceof Shown) return parsed;
  return decide(parsed.given, parsed.positionals, { ...context, launchArgv: parsed.launchArgv });
}
