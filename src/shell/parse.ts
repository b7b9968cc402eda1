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
import { UsageError } from '../errors.js';
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
  if (JSON_NUMBER.test(text)) return parseJson(text);
  const first = text[0];
  if (first === '{' || first === '[' || first === '"') {
    try {
      return parseJson(text);
    } catch {
      throw new UsageError(
        `the value of '${key}' starts like JSON but is not valid JSON: ${abbreviate(text)}` +
          (first === '"' ? '' : " (quote it for the shell, e.g. key='{\"a\": 1}')"),
      );
    }
  }
  return text;
}

/** Builds the arguments object from `key=value` tokens, onto `base` (from --args). */
export function parseArguments(tokens: readonly string[], base: JsonObject = {}): JsonObject {
  const args: JsonObject = structuredClone(base);
  const given = new Set<string>();
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq < 0) {
      throw new UsageError(`'${abbreviate(token)}' is not key=value: arguments are written key=value`);
    }
    const key = token.slice(0, eq);
    if (key === '') throw new UsageError(`'${abbreviate(token)}' has no key before '='`);
    if (/[\x00-\x1f\x7f]/.test(key)) {
      throw new UsageError(`key ${JSON.stringify(key)} contains a control character`);
    }
    const path = key.split('.');
    if (path.some((part) => part === '')) {
      throw new UsageError(`bad key '${key}': dotted keys need a name between the dots`);
    }
    setPath(args, path, parseValue(key, token.slice(eq + 1)), given);
  }
  return args;
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
 * The one-shot command line -> a request. `command` is a command name, or a
 * whole JSON request (`{"execute": ..., "arguments": ...}`).
 */
export function parseRequest(command: string, tokens: readonly string[], argsJson?: string): Request {
  let base: JsonObject = {};
  if (argsJson !== undefined) {
    let parsed: JsonValue;
    try {
      parsed = parseJson(argsJson);
    } catch {
      throw new UsageError(`--args is not valid JSON: ${abbreviate(argsJson)}`);
    }
    if (!isObject(parsed)) throw new UsageError('--args must be a JSON object, e.g. --args \'{"device": "drive0"}\'');
    base = parsed;
  }
  const trimmed = command.trimStart();
  if (trimmed.startsWith('{')) {
    let parsed: JsonValue;
    try {
      parsed = parseJson(trimmed);
    } catch {
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
    const merged = parseArguments(tokens, { ...(inner ?? {}), ...base });
    return requestOf(parsed.execute, merged);
  }
  if (!COMMAND_NAME.test(command)) {
    throw new UsageError(
      `'${abbreviate(command)}' is not a QMP command name (e.g. query-status), nor a JSON request`,
    );
  }
  return requestOf(command, parseArguments(tokens, base));
}

function requestOf(execute: string, args: JsonObject): Request {
  return Object.keys(args).length > 0 ? { execute, arguments: args } : { execute };
}

function abbreviate(text: string): string {
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
  return shown.slice(1, -1);
}
