/**
 * The REPL's Tab: readline's asynchronous completer over completer.ts. What
 * a line needs from QEMU is asked first, once a session: HMP's command names
 * (`help`) and `info` subcommands (`help info`), and device_add's driver
 * properties (device-list-properties). Candidates come from the peer: one
 * with a control character in it is dropped, never shown live. A guest agent
 * has none of these: on an agent session nothing is asked (`qemu` is undefined).
 */
import { SchemaArgumentCompleter, type LiveNameSets } from '../completion/arguments.js';
import { DevicePropertyCache } from '../completion/device-properties.js';
import { internalHmp } from '../core/internal.js';
import { isInert } from '../output/inert.js';
import type { Schema } from '../../schema/schema.js';
import type { QmpClient } from '../../session.js';
import { complete } from './completer.js';
import { SHELL_COMMANDS } from './help.js';

/** qapi/transaction.json TransactionAction types (QEMU 7.2). */
const TRANSACTION_ACTIONS = [
  'abort',
  'block-dirty-bitmap-add',
  'block-dirty-bitmap-clear',
  'block-dirty-bitmap-disable',
  'block-dirty-bitmap-enable',
  'block-dirty-bitmap-merge',
  'block-dirty-bitmap-remove',
  'blockdev-backup',
  'blockdev-snapshot',
  'blockdev-snapshot-internal-sync',
  'blockdev-snapshot-sync',
  'drive-backup',
];

/** HMP's names, from its own help text (QEMU 7.2: `name|alias args -- what`; continuation lines start with a tab). */
export class HmpNames {
  private commands: string[] = [];
  private info: string[] = [];
  private loaded: Promise<void> | undefined;

  /** `client`: the QEMU to ask; undefined on a guest agent (no HMP there: no names, nothing asked). */
  constructor(private readonly client: QmpClient | undefined) {}

  load(): Promise<void> {
    const client = this.client;
    if (!client) return Promise.resolve();
    this.loaded ??= Promise.all([
      internalHmp(client, 'help').then((text) => (this.commands = namesIn(text, /^([A-Za-z_][\w-]*)/))),
      internalHmp(client, 'help info').then((text) => (this.info = namesIn(text, /^info ([A-Za-z_][\w-]*)/))),
    ]).then(
      () => undefined,
      () => undefined,
    );
    return this.loaded;
  }

  get commandNames(): readonly string[] {
    return this.commands;
  }

  get infoNames(): readonly string[] {
    return this.info;
  }
}

function namesIn(text: string, pattern: RegExp): string[] {
  const names = text.split('\n').flatMap((line) => {
    const m = pattern.exec(line);
    // `cont|c`: the name and its alias are both commands.
    return m ? [m[1] as string, ...(line.slice((m[0] as string).length).match(/^\|([\w-]+)/)?.slice(1) ?? [])] : [];
  });
  return [...new Set(names)];
}

export interface TabSources {
  /** The QEMU that completion's look-ups ask; undefined on a guest agent, which has none of them. */
  qemu: QmpClient | undefined;
  qmpCommands: () => readonly string[];
  hmpMode: () => boolean;
  inTransaction: () => boolean;
  schema: () => Schema | undefined;
  live: () => LiveNameSets;
}

export type AsyncCompleter = (line: string, callback: (err: null, result: [string[], string]) => void) => void;

export function replCompleter(sources: TabSources, hmp: HmpNames): AsyncCompleter {
  const devices = sources.qemu ? new DevicePropertyCache(sources.qemu) : undefined;
  const argumentCompleter = new SchemaArgumentCompleter(sources.schema, sources.live, devices);
  return (line, callback) => {
    void (async () => {
      const words = line.trimStart().split(/\s+/);
      if (sources.hmpMode() || line.trimStart().startsWith('!')) await hmp.load();
      else await devices?.forLine(words[0], words.slice(1, -1));
      const [candidates, partial] = complete(line, {
        qmpCommands: sources.qmpCommands,
        shellCommands: () => SHELL_COMMANDS.map((c) => c.name),
        hmpCommands: () => hmp.commandNames,
        hmpInfo: () => hmp.infoNames,
        hmpMode: sources.hmpMode,
        inTransaction: sources.inTransaction,
        transactionActions: () => TRANSACTION_ACTIONS,
        jobIds: () => sources.live().jobs,
        helpTopics: () => {
          const schema = sources.schema();
          return schema ? [...schema.commands, ...schema.events] : sources.qmpCommands();
        },
        argumentCompleter,
      });
      callback(null, [candidates.filter(isInert), partial]);
    })();
  };
}
