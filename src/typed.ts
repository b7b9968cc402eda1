/**
 * Typed commands (the stretch of issue 15): `typed(client).execute('query-status')`
 * resolves with `{ running: boolean; singlestep: boolean; status: ... }`,
 * and arguments are checked by the compiler. The types are generated from a
 * real QEMU 7.2 schema (scripts/gen-qmp-types.mjs); a QEMU of another version
 * may have more or fewer commands: the untyped `client.execute` takes any.
 * Nothing is checked at run time: the live schema does that (typeArguments).
 */
import type { JsonObject } from './protocol/messages.js';
import type { JsonValue } from './protocol/json.js';
import type { QmpClient } from './session.js';
import type { ExecuteOptions } from './session-types.js';
import type { QmpCommands, QmpEvents, QmpInt } from './generated/qmp-7.2.js';

export type { QmpCommands, QmpEvents, QmpInt };

/** A command QEMU 7.2 has. */
export type CommandName = keyof QmpCommands & string;
export type CommandArguments<K extends CommandName> = QmpCommands[K]['arguments'];
export type CommandReturn<K extends CommandName> = QmpCommands[K]['returns'];

/** Arguments may be left out when none is mandatory. */
type ArgsOf<K extends CommandName> = {} extends CommandArguments<K>
  ? [args?: CommandArguments<K>, options?: ExecuteOptions]
  : [args: CommandArguments<K>, options?: ExecuteOptions];

export interface TypedClient {
  /** The client underneath (events, close, untyped execute). */
  readonly client: QmpClient;
  execute<K extends CommandName>(command: K, ...rest: ArgsOf<K>): Promise<CommandReturn<K>>;
}

/** A typed view of a client: the same session, the same execute, with QEMU 7.2's types. */
export function typed(client: QmpClient): TypedClient {
  return {
    client,
    execute(command: string, args?: unknown, options?: ExecuteOptions): Promise<never> {
      return client.execute(command, args as JsonObject | undefined, options) as Promise<JsonValue> as Promise<never>;
    },
  } as TypedClient;
}
