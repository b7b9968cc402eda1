/**
 * The live schema for library users: fetch it from a session, type
 * `key=value` words by it, check arguments, describe a command or event.
 * The CLI uses the same pieces (with its cache, src/schema/cache.ts).
 */
import { ProtocolError } from '../errors.js';
import type { JsonObject } from '../protocol/messages.js';
import type { QmpClient } from '../session.js';
import { parseWords } from '../shell/parse.js';
import { describeName, listNames } from './describe.js';
import { Schema } from './schema.js';
import { checkCommand, typedRequest } from './typed-args.js';

export interface SchemaOptions {
  /** Deprecated and unstable commands, arguments and values are reported here (default: ignored). */
  warn?: (message: string) => void;
}

/** Asks the server for its schema (query-qmp-schema, about 200 KB on QEMU 7.2) and checks its shape. */
export async function fetchSchema(client: QmpClient, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Schema> {
  const value = await client.execute('query-qmp-schema', undefined, { ...options, internal: true });
  const schema = Schema.from(value);
  if (!schema) throw new ProtocolError('the reply to query-qmp-schema is not a schema (qapi/introspect.json)');
  return schema;
}

/**
 * `key=value` words -> the arguments object, each value typed by the schema
 * (`device=123` stays a string when the argument is a str, `bps=1000000` an
 * integer, `read-zeroes=on` a bool, `cache.direct=on` nested). Throws
 * UsageError (code ERR_USAGE) for an unknown command or argument (with
 * suggestions), a missing mandatory argument, or a value of the wrong type.
 * `base` holds arguments that are JSON already.
 */
export function typeArguments(
  schema: Schema,
  command: string,
  words: readonly string[],
  options: SchemaOptions & { base?: JsonObject } = {},
): JsonObject {
  const request = typedRequest(schema, { execute: command, base: options.base ?? {}, words: parseWords(words) }, options);
  return request.arguments ?? {};
}

/**
 * Checks a JSON arguments object against the schema: the command exists,
 * every top-level argument name is known and every mandatory one is given
 * (values are sent as they are). Throws UsageError, like typeArguments.
 */
export function validateArguments(schema: Schema, command: string, args: JsonObject = {}, options: SchemaOptions = {}): void {
  typeArguments(schema, command, [], { ...options, base: args });
}

/** Whether the schema has this command (and warns of deprecated/unstable ones). Throws UsageError with suggestions if not. */
export function checkCommandName(schema: Schema, command: string, options: SchemaOptions = {}): void {
  checkCommand(schema, command, options.warn);
}

/**
 * A command or event in words (its arguments and their types, its return
 * type, its features), as `qmpsh --describe NAME` prints it. Without a name:
 * every command, one a line.
 */
export function describe(schema: Schema, name?: string): string {
  return name === undefined ? listNames(schema, 'command') : describeName(schema, name);
}
