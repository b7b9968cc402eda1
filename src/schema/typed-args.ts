/**
 * `key=value` words typed and checked by the live schema. Pure.
 *
 * What the schema says wins over how a value looks: `str` stays a string
 * whatever it looks like ("123", "on"), `int` and `number` keep every digit,
 * `bool` takes true/false/on/off/yes/no, enums are checked, dotted keys fill
 * nested objects, a repeated key fills an array, alternates and flat unions
 * (blockdev-add's `driver`) are resolved. `key:=JSON` is JSON as given; a
 * JSON-quoted value ('"on"') is a string.
 */
import { argumentReplacement, REPLACEMENTS, replacementCommand } from './replacements.js';
import { NumberRangeError, UsageError } from '../errors.js';
import { finiteNumber, parseJson, type JsonValue } from '../protocol/json.js';
import { isObject, type JsonObject, type Request } from '../protocol/messages.js';
import { buildArguments, jsonValue, outOfRange, parseValue, requestOf, type QmpCall, type RawArg } from '../shell/parse.js';
import { Schema, suggest, type SchemaMember } from './schema.js';

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** The words a bool argument takes (QEMU's own keyval parser takes on/off, yes/no, true/false). */
export const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, on: true, yes: true, false: false, off: false, no: false };

export interface TypingOptions {
  /** Deprecated and unstable commands and arguments are reported here. */
  warn?: (message: string) => void;
}

/** A call -> the request to send, typed and validated by the schema; UsageError when it is wrong. */
export function typedRequest(schema: Schema, call: QmpCall, options: TypingOptions = {}): Request {
  return requestOf(call.execute, new Typer(schema, call.execute, options.warn ?? (() => {})).command(call));
}

/**
 * One action of a `transaction` (`TYPE key=value ...` in the REPL) typed by
 * the schema: the TransactionAction union, tagged by `type`, its arguments
 * under `data`. Undefined when this schema has no transaction command.
 */
export function typedTransactionAction(schema: Schema, type: string, words: RawArg[], options: TypingOptions = {}): JsonObject | undefined {
  const actions = schema.argumentMembers('transaction').find((m) => m.name === 'actions');
  const element = actions ? schema.entry(actions.type)?.['element-type'] : undefined;
  if (!element) return undefined;
  const typer = new Typer(schema, `transaction action ${type}`, options.warn ?? (() => {}));
  const tagged: RawArg[] = [
    { key: 'type', path: ['type'], raw: type, json: false },
    ...words.map((w) => ({ ...w, path: ['data', ...w.path] })),
  ];
  // An action without arguments (abort) still carries an empty `data`.
  return typer.actionObject(element, tagged, words.length === 0 ? { data: {} } : {});
}

/** The command exists, or a UsageError with suggestions. */
export function checkCommand(schema: Schema, name: string, warn: (message: string) => void = () => {}): void {
  const command = schema.command(name);
  if (!command) {
    // A command this QEMU no longer has: its replacement first, when this QEMU has that.
    const replaced = replacementCommand(name);
    if (replaced && schema.command(replaced)) {
      throw new UsageError(`unknown command '${name}': QEMU removed it; use ${REPLACEMENTS[name]}`);
    }
    const close = suggest(name, schema.commands);
    throw new UsageError(
      `unknown command '${name}'${close.length ? `: did you mean ${close.join(', ')}?` : ''} (this QEMU has ${schema.commands.length})`,
      { hint: 'schema' },
    );
  }
  featureNotes(command.features, `command '${name}'`, warn);
}

function featureNotes(features: string[] | undefined, what: string, warn: (m: string) => void, instead?: string): void {
  if (features?.includes('deprecated')) {
    const name = /^command '(.*)'$/.exec(what)?.[1];
    instead ??= name !== undefined ? REPLACEMENTS[name] : undefined;
    warn(`${what} is deprecated: it may go away in a later QEMU${instead ? `; use ${instead}` : ''}`);
  }
  if (features?.includes('unstable')) warn(`${what} is unstable: it may change or go away without notice`);
}

class Typer {
  private readonly warn: (message: string) => void;

  constructor(
    private readonly schema: Schema,
    private readonly commandName: string,
    warn: (message: string) => void,
  ) {
    // Each note once: a union's tag value is typed twice (to pick the variant,
    // then as a member), and its deprecation was said twice.
    const said = new Set<string>();
    this.warn = (message) => {
      if (said.has(message)) return;
      said.add(message);
      warn(message);
    };
  }

  command(call: QmpCall): JsonObject {
    checkCommand(this.schema, call.execute, this.warn);
    const argType = this.schema.command(call.execute)?.['arg-type'];
    if (!argType) {
      if (call.words.length > 0 || Object.keys(call.base).length > 0) {
        throw new UsageError(`'${call.execute}' takes no arguments`);
      }
      return {};
    }
    return this.object(argType, call.words, call.base, '');
  }

  actionObject(typeName: string, words: RawArg[], base: JsonObject): JsonObject {
    return this.object(typeName, words, base, '');
  }

  private fail(message: string): never {
    throw new UsageError(`${this.commandName}: ${message}`);
  }

  /** An object type from words (paths relative to it) onto `base`. */
  private object(typeName: string, words: RawArg[], base: JsonObject, where: string): JsonObject {
    const type = this.schema.entry(typeName);
    let tagValue: string | undefined;
    if (type?.tag) {
      const tagWord = words.find((w) => w.path.length === 1 && w.path[0] === type.tag);
      const tagMember = ((type.members ?? []) as SchemaMember[]).find((m) => m.name === type.tag);
      if (tagWord && tagMember) {
        tagValue = String(this.value(tagMember.type, [{ ...tagWord, path: [] }], `${where}${type.tag}`));
      }
      else if (typeof base[type.tag] === 'string') tagValue = base[type.tag] as string;
    }
    const members = this.schema.objectMembers(typeName, tagValue);
    const byName = new Map(members.map((m) => [m.name, m]));
    const out: JsonObject = structuredClone(base);
    for (const name of Object.keys(base)) {
      if (!byName.has(name)) {
        const instead = argumentReplacement(this.commandName, `${where}${name}`);
        const close = suggest(name, [...byName.keys()]);
        this.fail(
          `unknown argument '${where}${name}'${instead ? `: QEMU removed it; use ${instead}` : close.length ? `: did you mean ${close.join(', ')}?` : ''}`,
        );
      }
    }

    const groups = new Map<string, RawArg[]>();
    for (const w of words) {
      const first = w.path[0] as string;
      groups.set(first, [...(groups.get(first) ?? []), { ...w, path: w.path.slice(1) }]);
    }
    for (const [name, group] of groups) {
      const member = byName.get(name);
      if (!member && byName.size === 0 && where === '') this.fail(`'${this.commandName}' takes no arguments`);
      if (!member) {
        const instead = argumentReplacement(this.commandName, `${where}${name}`);
        if (instead) this.fail(`unknown argument '${where}${name}': QEMU removed it; use ${instead}`);
        const close = suggest(name, [...byName.keys()]);
        const hint = close.length
          ? `: did you mean ${close.map((c) => where + c).join(', ')}?`
          : type?.tag && tagValue === undefined
            ? ` (give ${where}${type.tag}= first: the other arguments depend on it)`
            : '';
        this.fail(`unknown argument '${where}${name}'${hint} (takes: ${[...byName.keys()].join(', ') || 'nothing'})`);
      }
      if (Object.hasOwn(out, name)) this.fail(`'${where}${name}' is given twice (also in the JSON arguments)`);
      featureNotes(member.features, `argument '${where}${name}' of ${this.commandName}`, this.warn, argumentReplacement(this.commandName, `${where}${name}`));
      Object.defineProperty(out, name, {
        value: this.value(member.type, group, `${where}${name}`),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    const missing = members.filter((m) => !('default' in m) && !Object.hasOwn(out, m.name));
    if (missing.length > 0) {
      this.fail(
        `missing argument${missing.length > 1 ? 's' : ''} ${missing
          .map((m) => `${where}${m.name} (${this.schema.label(m.type)})`)
          .join(', ')}`,
      );
    }
    return out;
  }

  /** One member's value from its words: a leaf, a repeated leaf (array) or keys below (object). */
  private value(typeName: string, words: RawArg[], where: string): JsonValue {
    const leaves = words.filter((w) => w.path.length === 0);
    const nested = words.filter((w) => w.path.length > 0);
    const type = this.schema.entry(typeName);
    if (leaves.length > 0 && nested.length > 0) {
      this.fail(`'${where}' is given a value and also keys below it (${where}.${nested[0]?.path.join('.')})`);
    }
    if (nested.length > 0) {
      if (type?.['meta-type'] === 'object') return this.object(typeName, nested, {}, `${where}.`);
      // Below `any` (qom-set's value, a CPU model's props) the schema says
      // nothing more: the object is built from the keys, values by their look.
      if (type?.['meta-type'] === 'builtin' && type['json-type'] === 'value') return buildArguments(nested);
      // A list by index, as QEMU's own option syntax writes it: caps.0.capability=xbzrle caps.0.state=on.
      if (type?.['meta-type'] === 'array') return this.indexed(type['element-type'] as string, nested, where);
      if (type?.['meta-type'] === 'alternate') {
        const objectMember = (type.members as Array<{ type: string }>).find(
          (m) => this.schema.entry(m.type)?.['meta-type'] === 'object',
        );
        if (objectMember) return this.object(objectMember.type, nested, {}, `${where}.`);
      }
      this.fail(`'${where}' is ${this.schema.label(typeName)}: it has no keys below it`);
    }
    if (leaves.length > 1) {
      if (type?.['meta-type'] === 'array') {
        return leaves.map((leaf, i) => this.leaf(type['element-type'] as string, leaf, `${where}.${i}`));
      }
      this.fail(`'${where}' is given twice (only lists take a repeated key)`);
    }
    return this.leaf(typeName, leaves[0] as RawArg, where);
  }

  /** A list from `where.0.*`, `where.1.*`, ...: indexes from 0, none missing. */
  private indexed(elementType: string, words: RawArg[], where: string): JsonValue[] {
    const byIndex = new Map<number, RawArg[]>();
    for (const w of words) {
      const index = w.path[0] as string;
      if (!/^(0|[1-9]\d{0,5})$/.test(index)) {
        this.fail(`'${where}' is a list: its keys are indexes (${where}.0, ${where}.1, ...), not '${where}.${index}'`);
      }
      byIndex.set(Number(index), [...(byIndex.get(Number(index)) ?? []), { ...w, path: w.path.slice(1) }]);
    }
    const out: JsonValue[] = [];
    for (let i = 0; i < byIndex.size; i++) {
      const group = byIndex.get(i);
      if (!group) this.fail(`'${where}' is a list: ${where}.${i} is missing (indexes count from 0)`);
      out.push(this.value(elementType, group, `${where}.${i}`));
    }
    return out;
  }

  /** One value as typed, converted to the type. */
  private leaf(typeName: string, word: RawArg, where: string): JsonValue {
    if (word.json) return jsonValue(word.key, word.raw);
    const type = this.schema.entry(typeName);
    const raw = word.raw;
    const wants = (what: string): never =>
      this.fail(`'${where}' wants ${what}, not ${JSON.stringify(raw)}`);
    if (!type) return parseValue(word.key, raw);
    switch (type['meta-type']) {
      case 'builtin':
        switch (type['json-type']) {
          case 'string':
            return unquote(raw);
          case 'int':
            if (!INTEGER.test(raw)) return wants('an integer (int)');
            return integer(raw, where, (m) => this.fail(m));
          case 'number': {
            if (!NUMBER.test(raw)) return wants('a number');
            // A double in QEMU (strtod): what no double holds is refused, not sent as null, 0 or inf.
            let n: number;
            try {
              n = finiteNumber(raw);
            } catch (err) {
              if (err instanceof NumberRangeError) throw outOfRange(where, err);
              throw err;
            }
            return INTEGER.test(raw) ? integer(raw, where, (m) => this.fail(m)) : n;
          }
          case 'boolean': {
            const b = BOOLEANS[raw.toLowerCase()];
            return b === undefined ? wants('a boolean (true/false, on/off, yes/no)') : b;
          }
          case 'null':
            return raw === 'null' ? null : wants('null');
          default:
            return parseValue(word.key, raw);
        }
      case 'enum': {
        const value = unquote(raw);
        const values = this.schema.enumValues(type);
        if (values.includes(value)) {
          const member = (type.members ?? []).find((m) => (m as { name: string }).name === value) as
            | { features?: string[] }
            | undefined;
          featureNotes(member?.features, `value '${value}' of '${where}'`, this.warn, argumentReplacement(this.commandName, where, value));
          return value;
        }
        const instead = argumentReplacement(this.commandName, where, value);
        if (instead) this.fail(`'${where}': QEMU removed the value ${JSON.stringify(value)}; use ${instead}`);
        const close = suggest(value, values);
        return this.fail(
          `'${where}' must be one of ${values.join(', ')}; not ${JSON.stringify(value)}${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}`,
        );
      }
      case 'array': {
        if (raw.trimStart().startsWith('[')) return jsonOf(word, 'array', wants);
        return [this.leaf(type['element-type'] as string, word, `${where}.0`)];
      }
      case 'object':
        if (raw.trimStart().startsWith('{')) return jsonOf(word, 'object', wants);
        return wants(`an object: give its members as ${where}.NAME=VALUE, or JSON`);
      case 'alternate': {
        const members = (type.members ?? []) as Array<{ type: string }>;
        // Scalars that are not strings first (an int or a bool is never taken for a name), str last.
        const order = [...members].sort((a, b) => rank(this.schema, a.type) - rank(this.schema, b.type));
        for (const m of order) {
          try {
            return this.leaf(m.type, word, where);
          } catch (err) {
            if (!(err instanceof UsageError)) throw err;
          }
        }
        return wants(this.schema.label(typeName));
      }
      default:
        return parseValue(word.key, raw);
    }
  }
}

/**
 * An integer as typed, every digit kept. A leading zero is refused, not
 * guessed at: QEMU's own option parser reads 010 as octal (8), JSON refuses it.
 */
function integer(raw: string, where: string, fail: (message: string) => never): JsonValue {
  const digits = raw.replace(/^\+/, '');
  if (/^-?0\d/.test(digits)) {
    const plain = digits.replace(/^(-?)0+(?=\d)/, '$1');
    return fail(`'${where}' wants a decimal integer without leading zeros: ${JSON.stringify(raw)} could be read as octal; write ${plain} if that is what you mean`);
  }
  return parseJson(digits);
}

function rank(schema: Schema, typeName: string): number {
  const t = schema.entry(typeName);
  if (t?.['meta-type'] === 'builtin' && t['json-type'] === 'string') return 2;
  if (t?.['meta-type'] === 'enum') return 1;
  return 0;
}

/** A JSON-quoted value ("on") is the string inside; anything else is the text as typed. */
function unquote(raw: string): string {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    try {
      const v = JSON.parse(raw) as unknown;
      if (typeof v === 'string') return v;
    } catch {
      // not JSON: keep as typed
    }
  }
  return raw;
}

function jsonOf(word: RawArg, kind: 'array' | 'object', wants: (what: string) => never): JsonValue {
  const v = jsonValue(word.key, word.raw);
  if (kind === 'array' ? !Array.isArray(v) : !isObject(v)) return wants(`a JSON ${kind}`);
  return v;
}
