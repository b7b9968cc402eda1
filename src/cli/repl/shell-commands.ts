/** qmpsh's own REPL commands (`.help`, `.events on`, ...): what they do. */
import { UsageError } from '../../errors.js';
import { describeName } from '../../schema/describe.js';
import type { Schema } from '../../schema/schema.js';
import { tokenizeComplete } from '../../shell/tokenize.js';
import type { Paint } from '../output/format.js';
import { shellHelp } from './help.js';

/** What the REPL's own commands switch. */
export interface ReplSettings {
  verbose: boolean;
  hmpMode: boolean;
  showEvents: boolean;
  pretty: boolean;
  /** Replies taller than the screen go through $PAGER (output/pager.ts). */
  pager: boolean;
}

export interface ShellContext {
  settings: ReplSettings;
  paint: Paint;
  /** Prints above the prompt. */
  say(text: string): void;
  exit(): void;
  hmp(commandLine: string): Promise<void>;
  loadHmpCommands(): void;
  /** `.wait JOB`: follows the job (or the migration) with --wait's progress until it ends or Ctrl-C. */
  wait(id: string | undefined): Promise<void>;
  /** `.jobs`: --jobs' table, once. */
  jobs(): Promise<void>;
  /** Work on the schema (a refusal checked against the live one); undefined without a schema. */
  schema<T>(work: (schema: Schema) => T): Promise<T | undefined>;
}

export async function runShellCommand(text: string, ctx: ShellContext): Promise<void> {
  const { settings, paint, say } = ctx;
  const [name = '', ...words] = tokenizeComplete(text.slice(1));
  // With no argument, a switch says how it is set and changes nothing.
  const onOff = (current: boolean): boolean => {
    if (words[0] === undefined) return current;
    if (/^(on|true|1|yes)$/i.test(words[0])) return true;
    if (/^(off|false|0|no)$/i.test(words[0])) return false;
    throw new UsageError(`.${name} takes on or off`);
  };
  switch (name) {
    case 'help':
    case '?': {
      if (words.length === 0) {
        say(shellHelp(paint));
        return;
      }
      const name = words[0] as string;
      const text = await ctx.schema((schema) => describeName(schema, name));
      if (text === undefined) throw new UsageError('this QEMU did not give its schema: no help for its commands');
      say(text);
      return;
    }
    case 'exit':
      ctx.exit();
      return;
    case 'events':
      settings.showEvents = onOff(settings.showEvents);
      say(paint.dim(`events ${settings.showEvents ? 'shown (.events off hides them)' : 'hidden (.events on shows them)'}`));
      return;
    case 'verbose':
      settings.verbose = onOff(settings.verbose);
      say(paint.dim(`wire messages ${settings.verbose ? 'shown (.verbose off hides them)' : 'hidden (.verbose on shows them)'}`));
      return;
    case 'pager':
      settings.pager = onOff(settings.pager);
      say(paint.dim(`pager ${settings.pager ? 'on: replies taller than the screen are paged (.pager off)' : 'off (.pager on)'}`));
      return;
    case 'wait':
      if (words.length > 1) throw new UsageError('.wait takes one job id (or "migration"); .jobs lists them');
      return ctx.wait(words[0]);
    case 'jobs':
      if (words.length > 0) throw new UsageError('.jobs takes no argument');
      return ctx.jobs();
    case 'pretty':
      settings.pretty = true;
      return;
    case 'compact':
      settings.pretty = false;
      return;
    case 'hmp':
      if (words.length > 0) return ctx.hmp(words.join(' '));
      settings.hmpMode = true;
      ctx.loadHmpCommands();
      say(paint.dim('HMP mode: lines go to the human monitor; .qmp returns'));
      return;
    case 'qmp':
      settings.hmpMode = false;
      return;
    default:
      throw new UsageError(`unknown qmpsh command '.${name}': .help lists them`);
  }
}
