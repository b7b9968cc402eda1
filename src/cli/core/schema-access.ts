/**
 * The schema for one session, loaded only when something needs it: the
 * commands index (from the cache) to check a command's name, the whole schema
 * (from the cache, else fetched once with query-qmp-schema and cached) to type
 * arguments. A schema that cannot be had never stops a command: it is then
 * sent as typed (untyped), as with --no-validate.
 */
import { readCachedSchema, schemaCacheDir, schemaKey, writeCachedSchema } from '../../schema/cache.js';
import { Schema, type SchemaEntry } from '../../schema/schema.js';
import { checkCommand, typedRequest } from '../../schema/typed-args.js';
import type { Request } from '../../protocol/messages.js';
import { untypedRequest, type QmpCall } from '../../shell/parse.js';
import type { QmpClient } from '../../session.js';

export class SchemaAccess {
  private fullSchema: Promise<Schema | undefined> | undefined;
  private commandIndex: Schema | undefined;
  private indexRead = false;
  private readonly slices = new Map<string, Schema | undefined>();
  private readonly dir = schemaCacheDir();
  /** Why the schema could not be had (a timeout, a lost connection, a bad reply). */
  problem: unknown;

  constructor(
    private readonly client: QmpClient,
    private readonly options: {
      validate: boolean;
      /** A guest agent: no greeting to key a cache by, no query-qmp-schema. */
      schemaless?: boolean;
      warn: (message: string) => void;
      note: (message: string) => void;
    },
  ) {}

  private cacheKey: string | null | undefined;

  /** The cache's key for this peer; undefined when its greeting gives none (then nothing is cached). */
  private get key(): string | undefined {
    if (this.cacheKey === undefined) this.cacheKey = schemaKey(this.client.greeting) ?? null;
    return this.cacheKey ?? undefined;
  }

  /** The whole schema: cache, else QEMU (then cached); undefined if neither works. */
  full(): Promise<Schema | undefined> {
    this.fullSchema ??= (async () => {
      if (this.options.schemaless) return undefined;
      try {
        const key = this.key;
        const cached = key === undefined ? undefined : readCachedSchema(this.dir, key, 'full');
        if (cached) return cached;
        const value = await this.client.execute('query-qmp-schema', undefined, { internal: true });
        const schema = Schema.from(value);
        if (!schema) throw new Error('the reply is not a schema');
        if (key !== undefined) writeCachedSchema(this.dir, key, value as unknown as SchemaEntry[]);
        return schema;
      } catch (err) {
        this.problem = err;
        this.options.note(`schema unavailable (${(err as Error).message}): arguments are sent as typed`);
        return undefined;
      }
    })();
    return this.fullSchema;
  }

  /** Enough to check command names: the small index if cached, else the whole schema. */
  async commands(): Promise<Schema | undefined> {
    if (!this.indexRead) {
      this.indexRead = true; // looked for once: absent stays absent for this session
      const key = this.key;
      this.commandIndex = key === undefined ? undefined : readCachedSchema(this.dir, key, 'commands');
    }
    return this.commandIndex ?? this.full();
  }

  /** The request to send for a call: checked and typed by the schema, or as typed. */
  async request(call: QmpCall): Promise<Request> {
    // QMPSH_NO_VALIDATE=1 is --no-validate for environments (and the benchmark's baseline).
    if (!this.options.validate || this.options.schemaless || process.env.QMPSH_NO_VALIDATE === '1') {
      return untypedRequest(call);
    }
    if (call.words.length === 0 && Object.keys(call.base).length === 0) {
      const index = await this.commands();
      if (index) checkCommand(index, call.execute, this.options.warn);
      return { execute: call.execute };
    }
    const schema = (await this.forCommand(call.execute)) ?? (await this.full());
    return schema ? typedRequest(schema, call, { warn: this.options.warn }) : untypedRequest(call);
  }

  /** A command and its argument types from the cache (a few KB), if cached and the command exists. */
  private async forCommand(name: string): Promise<Schema | undefined> {
    const index = await this.commands();
    if (!index?.command(name)) return undefined; // let the full schema (or its absence) speak
    // A script repeats its commands: read each command's file once.
    const key = this.key;
    if (key === undefined) return undefined;
    if (!this.slices.has(name)) this.slices.set(name, readCachedSchema(this.dir, key, { command: name }));
    return this.slices.get(name);
  }
}
