/**
 * The schema for one session, loaded only when something needs it: the
 * commands index (from the cache) to check a command's name, one command's
 * slice (from the cache) to type its arguments, the whole schema (from the
 * cache, else fetched once with query-qmp-schema and cached) for the rest. A
 * schema that cannot be had never stops a command: it is then sent as typed
 * (untyped), as with --no-validate.
 *
 * The cache holds what some peer once said under this QEMU's version and
 * package: a peer that lied, or a QEMU upgraded in place under the same
 * version, leaves it wrong. So the cache is never the only reason to refuse:
 * a refusal (unknown command, unknown argument, a bad value) made by cached
 * data is checked once against the live schema, which then replaces the cache
 * (rewritten if it differed) for the rest of the session. A warm cache that
 * refuses nothing costs no query-qmp-schema. Cached files that are malformed
 * are ignored, and the schema is fetched and cached anew.
 */
import { QmpError, CommandError, TimeoutError, UsageError } from '../../errors.js';
import { readCachedSchema, schemaCacheDir, schemaKey, writeCachedSchema, type CacheRead } from '../../schema/cache.js';
import { Schema, type SchemaEntry } from '../../schema/schema.js';
import { checkCommand, typedRequest } from '../../schema/typed-args.js';
import type { Request } from '../../protocol/messages.js';
import { typedDeviceProperties, type DeviceProperty } from '../../schema/device-props.js';
import { internal } from './internal.js';
import { jsonValue, untypedRequest, type QmpCall } from '../../shell/parse.js';
import type { QmpClient } from '../../session.js';

type Warn = (message: string) => void;

export class SchemaAccess {
  private fullSchema: Promise<Schema | undefined> | undefined;
  private liveSchema: Promise<Schema | undefined> | undefined;
  /** The live schema, once it is in: from then on it answers everything. */
  private live: Schema | undefined;
  private liveEntries: SchemaEntry[] | undefined;
  /** Looked for once: absent stays absent for this session. */
  private commandIndex: Promise<Schema | undefined> | undefined;
  private readonly slices = new Map<string, Schema | undefined>();
  private readonly dir = schemaCacheDir();
  private cacheKey: Promise<string | undefined> | undefined;
  /** A cached file was malformed: the schema comes from QEMU, and the cache is written anew. */
  private cacheBad = false;
  /** Why the schema could not be had (a timeout, a lost connection, a bad reply). */
  problem: unknown;

  constructor(
    private readonly client: QmpClient,
    private readonly options: {
      validate: boolean;
      /** A guest agent: no greeting to key a cache by, no query-qmp-schema. */
      schemaless?: boolean;
      warn: Warn;
      note: (message: string) => void;
    },
  ) {}

  /**
   * The cache's key for this peer; undefined when its greeting gives none
   * (then nothing is cached). What kind of peer it is is part of it, asked
   * once (query-target: a few bytes each way): a storage daemon (no target),
   * or an emulator of the same build for another target, greets as this QEMU
   * does and must not be typed by its schema. A lost connection or a timeout
   * is that error.
   */
  private key(): Promise<string | undefined> {
    this.cacheKey ??= (async () => {
      if (this.options.schemaless || schemaKey(this.client.greeting) === undefined) return undefined;
      let kind = 'none';
      try {
        const target = await internal(this.client, 'query-target', undefined, { internal: true });
        const arch = typeof target === 'object' && target !== null && !Array.isArray(target) ? (target as { arch?: unknown }).arch : undefined;
        kind = typeof arch === 'string' ? arch : JSON.stringify(target);
      } catch (err) {
        // Not the user's command that went unanswered: say what did.
        if (err instanceof TimeoutError) {
          throw new TimeoutError(
            `QEMU did not answer qmpsh's own look-up (query-target, asked once before the first command to pick its schema) in time: nothing of yours was sent; the monitor may be stuck, or give --no-validate`,
            { cause: err },
          );
        }
        if (!(err instanceof CommandError)) throw err;
      }
      return schemaKey(this.client.greeting, kind);
    })();
    return this.cacheKey;
  }

  private async readCache(part: Parameters<typeof readCachedSchema>[2]): Promise<Schema | undefined> {
    const key = await this.key();
    if (key === undefined || this.cacheBad) return undefined;
    const read: CacheRead = readCachedSchema(this.dir, key, part);
    if (read === 'malformed') {
      this.cacheBad = true;
      // A whole schema taken from this cache is no better: ask QEMU next time.
      if (!this.live) this.fullSchema = undefined;
    }
    return read instanceof Schema ? read : undefined;
  }

  /** The whole schema: cache, else QEMU (then cached); undefined if neither works. */
  full(): Promise<Schema | undefined> {
    this.fullSchema ??= (async () => {
      if (this.options.schemaless) return undefined;
      return (await this.readCache('full')) ?? (await this.liveOnce());
    })();
    return this.fullSchema;
  }

  /**
   * QEMU's own schema, asked for at most once per session. It replaces the
   * cached one for the rest of the session, and the cache when it differs.
   */
  private liveOnce(): Promise<Schema | undefined> {
    this.liveSchema ??= (async () => {
      if (this.options.schemaless) return undefined;
      try {
        const value = await this.client.execute('query-qmp-schema', undefined, { internal: true });
        const schema = Schema.from(value);
        if (!schema) throw new Error('the reply is not a valid schema');
        this.liveEntries = value as unknown as SchemaEntry[];
        // Rewritten if it differs (or is malformed: then whatever it says).
        await this.writeCache({ unlessSame: !this.cacheBad });
        this.live = schema;
        this.fullSchema = Promise.resolve(schema);
        return schema;
      } catch (err) {
        this.problem = err;
        this.options.note(`schema unavailable (${(err as Error).message}): arguments are sent as typed`);
        return undefined;
      }
    })();
    return this.liveSchema;
  }

  private async writeCache(options: { unlessSame: boolean }): Promise<void> {
    const key = await this.key();
    if (key !== undefined && this.liveEntries) writeCachedSchema(this.dir, key, this.liveEntries, options);
  }

  /** Enough to check command names: the small index if cached, else the whole schema. */
  async commands(): Promise<Schema | undefined> {
    if (this.live) return this.live;
    this.commandIndex ??= this.readCache('commands');
    return (await this.commandIndex) ?? this.full();
  }

  /** The request to send for a call: checked and typed by the schema, or as typed. */
  async request(call: QmpCall): Promise<Request> {
    // QMPSH_NO_VALIDATE=1 is --no-validate for environments (and the benchmark's baseline).
    if (!this.options.validate || this.options.schemaless || process.env.QMPSH_NO_VALIDATE === '1') {
      return untypedRequest(call);
    }
    if (call.words.length === 0 && Object.keys(call.base).length === 0) {
      const index = await this.commands();
      const checked = await this.judged(index, (s, warn) => {
        checkCommand(s, call.execute, warn);
        return { execute: call.execute };
      });
      // Mandatory arguments are checked too: by the command's own types unless
      // the index already knows it takes none (query-status reads no more).
      const none = (this.live ?? index)?.takesNoArguments(call.execute);
      if (none !== false && (none === true || !checked)) return checked ?? { execute: call.execute };
    }
    const schema = (await this.forCommand(call.execute)) ?? (await this.full());
    const beyond = beyondSchema(schema, call.execute);
    if (beyond) return this.beyondSchemaRequest(call, schema, beyond);
    return (await this.judged(schema, (s, warn) => typedRequest(s, call, { warn }))) ?? untypedRequest(call);
  }

  /**
   * Commands whose arguments go beyond their schema: device_add (the
   * driver's own properties), and on older QEMUs netdev_add (4.2: only type
   * and id in its schema) and object-add (5.x: qom-type, id, props). Their
   * own arguments are typed by the schema; the rest by the live QEMU's
   * property list for that type (src/schema/device-props.ts), or, for
   * netdev_add, sent as text (QEMU reads them as -netdev options).
   */
  private async beyondSchemaRequest(call: QmpCall, schema: Schema | undefined, beyond: Beyond): Promise<Request> {
    const own = new Set(schema?.argumentMembers(call.execute).map((m) => m.name) ?? beyond.own);
    const mine = call.words.filter((w) => own.has(w.key) || w.path.length > 1);
    const rest = call.words.filter((w) => !own.has(w.key) && w.path.length === 1);
    // JSON arguments (a whole request, --args) likewise: the type's own are JSON as given.
    const ownBase = Object.fromEntries(Object.entries(call.base).filter(([k]) => own.has(k)));
    const restBase = Object.fromEntries(Object.entries(call.base).filter(([k]) => !own.has(k)));
    const mineCall = { ...call, words: mine, base: ownBase };
    const typed = (await this.judged(schema, (s, warn) => typedRequest(s, mineCall, { warn }))) ?? untypedRequest(mineCall);
    const args = { ...(typed.arguments ?? {}) };
    const typeName = args[beyond.typeKey];
    if (rest.length === 0 && Object.keys(restBase).length === 0) return typed;
    if (typeof typeName !== 'string') throw new UsageError(`${call.execute} needs ${beyond.typeKey}=NAME first: the other arguments depend on it`);
    if (!beyond.lister) {
      return { execute: call.execute, arguments: { ...args, ...restBase, ...Object.fromEntries(rest.map((w) => [w.key, w.json ? jsonValue(w.key, w.raw) : w.raw])) } };
    }
    let properties: DeviceProperty[];
    try {
      properties = (await internal(this.client, beyond.lister, { typename: typeName }, { internal: true })) as unknown as DeviceProperty[];
    } catch (err) {
      if (err instanceof CommandError) throw new UsageError(`${call.execute}: no ${beyond.what} '${typeName}' here (${err.desc})`, { cause: err });
      throw err;
    }
    if (!Array.isArray(properties)) return untypedRequest(call);
    const typing = { lister: beyond.lister };
    // JSON members are checked by name only: their values are JSON already.
    typedDeviceProperties(typeName, Object.keys(restBase).map((key) => ({ key, path: [key], raw: 'null', json: true })), properties, typing);
    return { execute: call.execute, arguments: { ...args, ...restBase, ...typedDeviceProperties(typeName, rest, properties, typing) } };
  }

  /**
   * `work` on the whole schema (describe a name, type a transaction action):
   * undefined when there is no schema. A refusal is checked live, as in request().
   */
  async judge<T>(work: (schema: Schema, warn: Warn) => T): Promise<T | undefined> {
    return this.judged(await this.full(), work);
  }

  /**
   * Runs `work` on `schema`. A UsageError from a schema that is not the live
   * one is not the last word: the live schema is fetched (once) and `work`
   * runs again on it; only its refusal stands. Warnings are held until the
   * answer is known, so that none is given twice. Without a live schema
   * (QEMU has no query-qmp-schema), nothing is refused: undefined, and the
   * caller sends as typed; a timeout or a lost connection is that error.
   */
  private async judged<T>(schema: Schema | undefined, work: (schema: Schema, warn: Warn) => T): Promise<T | undefined> {
    if (!schema) return undefined;
    const held: string[] = [];
    try {
      const result = work(schema, (m) => held.push(m));
      for (const m of held) this.options.warn(m);
      return result;
    } catch (err) {
      if (!(err instanceof UsageError) || schema === this.live) throw err;
    }
    const live = await this.liveOnce();
    if (!live) {
      if (this.problem instanceof QmpError && !(this.problem instanceof CommandError)) throw this.problem;
      return undefined;
    }
    const result = work(live, this.options.warn);
    // The cache refused what QEMU takes: some file of it is wrong, whatever the whole schema's file says.
    await this.writeCache({ unlessSame: false });
    return result;
  }

  /** A command and its argument types from the cache (a few KB), if cached and the command exists. */
  private async forCommand(name: string): Promise<Schema | undefined> {
    const index = await this.commands();
    if (this.live) return this.live;
    if (!index?.command(name)) return undefined; // let the full schema (or its absence) speak
    // A script repeats its commands: read each command's file once.
    if (!this.slices.has(name)) this.slices.set(name, await this.readCache({ command: name }));
    return this.slices.get(name);
  }
}

interface Beyond {
  /** The argument that names the type whose properties come next. */
  typeKey: string;
  /** The schema's own arguments, when there is no schema to say. */
  own: string[];
  /** Where the type's properties are listed; none: sent as text. */
  lister?: 'device-list-properties' | 'qom-list-properties';
  what: string;
}

/** Whether (and how) a command takes arguments beyond its schema, on this QEMU. */
function beyondSchema(schema: Schema | undefined, command: string): Beyond | undefined {
  if (command === 'device_add') return { typeKey: 'driver', own: ['driver', 'bus', 'id'], lister: 'device-list-properties', what: 'device driver' };
  if (!schema) return undefined;
  const argType = schema.command(command)?.['arg-type'];
  const type = argType ? schema.entry(argType) : undefined;
  // Since 6.0 (object-add) and 5.? (netdev_add) the schema is a union that says everything.
  if (!type || type.tag) return undefined;
  const names = new Set(schema.argumentMembers(command).map((m) => m.name));
  if (command === 'object-add' && names.has('qom-type')) return { typeKey: 'qom-type', own: [...names], lister: 'qom-list-properties', what: 'object type' };
  if (command === 'netdev_add' && names.has('type') && names.size <= 2) return { typeKey: 'type', own: [...names], what: 'netdev type' };
  return undefined;
}
