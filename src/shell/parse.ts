/**
 * `cmd key=value a.b=1 x={...}` -> a QMP request. Pure.
 *
 * A value that is JSON (a number, true/false/null, an object, an array or a
 * "quoted string") is sent as that JSON; anything else is sent as the string
 * typed. Numbers keep every digit (BigInt beyond 2^53). Dotted keys build
 * nested objects. Nothing is guessed silently: a value that starts like JSON
 * but is not valid JSON, an empty key or value, a repeated key, and a key used
 * both as a value and as a parent are usage errors.
 */
import { NumberRangeError, UsageError } from '../errors.js';
import { parseJson, type JsonValue } from '../protocol/json.js';
import { isObject, type JsonObject, type Request } from '../protocol/messages.js';

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const COMMAND_NAME = /^[A-Za-z_][A-Za-z0-9_.+-]*$/;

/** Parses one `key=value` value by the rules above. */
export function parseValue(key: string, text: string): JsonValue {
  if (text === '') {
    throw new UsageError(
      `'${key}=' has no value: give one, or write ${key}='""' for an empty string`,
    );
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (JSON_NUMBER.test(text)) return parseUserJson(key, text);
  const first = text[0];
  // A fan-out placeholder (`{name}.qcow2`) is text, never JSON (JSON keys are quoted).
  if (/^\{(name|target)\}/.test(text)) return text;
  if (first === '{' || first === '[' || first === '"') {
    try {
      return parseJson(text);
    } catch (err) {
      if (err instanceof NumberRangeError) throw outOfRange(key, err);
      throw new UsageError(
        `the value of '${key}' starts like JSON but is not valid JSON: ${abbreviate(text)}` +
          (first === '"' ? '' : " (quote it for the shell, e.g. key='{\"a\": 1}')"),
      );
    }
  }
  return text;
}

/** One `key=value` word, checked for syntax but not yet typed. */
export interface RawArg {
  /** The dotted key as typed (without a `:` of `key:=JSON`). */
  key: string;
  path: string[];
  raw: string;
  /** `key:=JSON`: the value is JSON, whatever the schema says. */
  json: boolean;
}

/**
 * Checks the syntax of `key=value` words: a key before `=`, a value after it,
 * names between the dots, no control characters in keys, and valid JSON
 * where a value is JSON (`key:=...`, or one that starts like JSON).
 */
export function parseWords(tokens: readonly string[]): RawArg[] {
  return tokens.map((token) => {
    const eq = token.indexOf('=');
    if (eq < 0) {
      throw new UsageError(`'${abbreviate(token)}' is not key=value: arguments are written key=value`);
    }
    const json = token[eq - 1] === ':';
    const key = token.slice(0, json ? eq - 1 : eq);
    if (key === '') throw new UsageError(`'${abbreviate(token)}' has no key before '='`);
    if (/[\x00-\x1f\x7f]/.test(key)) {
      throw new UsageError(`key ${JSON.stringify(key)} contains a control character`);
    }
    const path = key.split('.');
    if (path.some((part) => part === '')) {
      throw new UsageError(`bad key '${key}': dotted keys need a name between the dots`);
    }
    const raw = token.slice(eq + 1);
    // Syntax of the value now (before anything is sent); its type later.
    if (json) jsonValue(key, raw);
    else parseValue(key, raw);
    return { key, path, raw, json };
  });
}

/** The JSON of a `key:=JSON` word. */
export function jsonValue(key: string, raw: string): JsonValue {
  try {
    return parseJson(raw);
  } catch (err) {
    if (err instanceof NumberRangeError) throw outOfRange(key, err);
    throw new UsageError(`the value of '${key}:=' is not valid JSON: ${abbreviate(raw)}`);
  }
}

/** A number typed by the user: exact, or refused when no double holds it. */
function parseUserJson(key: string, text: string): JsonValue {
  try {
    return parseJson(text);
  } catch (err) {
    if (err instanceof NumberRangeError) throw outOfRange(key, err);
    throw err;
  }
}

/**
 * A number no double holds is refused, not sent as null (what JSON.stringify
 * makes of Infinity) or 0: QEMU would read 1e400 as infinity and 1e-400 as 0
 * anyway (json-parser.c, strtod), so what was typed could never arrive.
 */
export function outOfRange(key: string, err: NumberRangeError): UsageError {
  return new UsageError(`'${key}': ${err.message}`, { cause: err });
}

/** Untyped: each value by its look (parseValue), nested by dotted keys, onto `base`. */
export function buildArguments(words: readonly RawArg[], base: JsonObject = {}): JsonObject {
  const args: JsonObject = structuredClone(base);
  const given = new Set<string>();
  for (const word of words) {
    setPath(args, word.path, word.json ? jsonValue(word.key, word.raw) : parseValue(word.key, word.raw), given);
  }
  return args;
}

/** Builds the arguments object from `key=value` tokens, onto `base` (from --args). */
export function parseArguments(tokens: readonly string[], base: JsonObject = {}): JsonObject {
  return buildArguments(parseWords(tokens), base);
}

function setPath(target: JsonObject, path: string[], value: JsonValue, given: Set<string>): void {
  const key = path.join('.');
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const part = path[i] as string;
    const prefix = path.slice(0, i + 1).join('.');
    const existing = Object.hasOwn(node, part) ? node[part] : undefined;
    if (existing === undefined) {
      const child: JsonObject = {};
      defineOwn(node, part, child);
      node = child;
    } else if (isObject(existing) && !given.has(prefix)) {
      node = existing;
    } else {
      throw new UsageError(`'${key}' conflicts with '${prefix}', which is already given a value`);
    }
  }
  const last = path[path.length - 1] as string;
  if (Object.hasOwn(node, last)) {
    throw new UsageError(
      isObject(node[last]) && !given.has(key)
        ? `'${key}' conflicts with keys below it (${key}.*)`
        : `'${key}' is given twice`,
    );
  }
  defineOwn(node, last, value);
  given.add(key);
}

/** Plain assignment would treat "__proto__" specially; QMP keys are data. */
function defineOwn(node: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A QMP command as typed, its syntax checked, its values not yet typed: the
 * schema (when there is one) decides what each `key=value` means.
 */
export interface QmpCall {
  execute: string;
  /** From a whole JSON request's "arguments" and --args: JSON already. */
  base: JsonObject;
  words: RawArg[];
}

/**
 * The one-shot command line -> a call. `command` is a command name, or a
 * whole JSON request (`{"execute": ..., "arguments": ...}`).
 */
export function parseCommand(command: string, tokens: readonly string[], argsJson?: string): QmpCall {
  let base: JsonObject = {};
  if (argsJson !== undefined) {
    let parsed: JsonValue;
    try {
      parsed = parseJson(argsJson);
    } catch (err) {
      if (err instanceof NumberRangeError) throw new UsageError(`the arguments object: ${err.message}`, { cause: err });
      throw new UsageError(`the arguments object is not valid JSON: ${abbreviate(argsJson)}`);
    }
    if (!isObject(parsed)) throw new UsageError('the arguments must be a JSON object, e.g. {"device": "drive0"}');
    base = parsed;
  }
  const trimmed = command.trimStart();
  if (trimmed.startsWith('{')) {
    let parsed: JsonValue;
    try {
      parsed = parseJson(trimmed);
    } catch (err) {
      if (err instanceof NumberRangeError) throw new UsageError(`the JSON request: ${err.message}`, { cause: err });
      throw new UsageError(`the JSON request is not valid JSON: ${abbreviate(trimmed)}`);
    }
    if (!isObject(parsed) || typeof parsed.execute !== 'string') {
      throw new UsageError('a JSON request needs "execute": {"execute": "query-status"}');
    }
    for (const member of Object.keys(parsed)) {
      if (member !== 'execute' && member !== 'arguments' && member !== 'id') {
        throw new UsageError(`a JSON request may hold execute, arguments and id, not '${member}'`);
      }
    }
    const inner = parsed.arguments;
    if (inner !== undefined && !isObject(inner)) throw new UsageError('"arguments" must be a JSON object');
    return { execute: parsed.execute, base: { ...(inner ?? {}), ...base }, words: parseWords(tokens) };
  }
  if (!COMMAND_NAME.test(command)) {
    throw new UsageError(
      `'${abbreviate(command)}' is not a QMP command name (e.g. query-status), nor a JSON request`,
    );
  }
  return { execute: command, base, words: parseWords(tokens) };
}

/** The request of a call with every value typed by its look (no schema). */
export function untypedRequest(call: QmpCall): Request {
  return requestOf(call.execute, buildArguments(call.words, call.base));
}

/** parseCommand + untypedRequest: the request as typed, without a schema. */
export function parseRequest(command: string, tokens: readonly string[], argsJson?: string): Request {
  return untypedRequest(parseCommand(command, tokens, argsJson));
}

export function requestOf(execute: string, args: JsonObject): Request {
  return Object.keys(args).length > 0 ? { execute, arguments: args } : { execute };
}

function abbreviate(text: string): string {
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
  return shown.slice(1, -1);
}
