/**
 * Secrets: one table for what --log and --verbose mask (maskSecrets) and what
 * the REPL keeps out of its history file (hasSecret: masking would change
 * the message). Pure.
 *
 * The table has four parts:
 *
 *  1. SECRET_ARGUMENTS: QMP (and guest agent) commands whose arguments hold a
 *     secret, by path, some only when a condition on the arguments holds
 *     (object-add: only a `secret` object's `data`).
 *  2. SECRET_HMP: HMP commands that take the same secrets. Each reads its
 *     command line into the arguments of its QMP twin (`object_add` ->
 *     object-add, `change vnc password` -> change-vnc-password), and part 1
 *     decides what is masked, where it is written in the line.
 *  3. Everywhere, in every message sent or received and in every HMP line: a
 *     member (or `key=value` option) whose name contains "password" or
 *     "secret", and the password of credentials in a URL
 *     (`scheme://user:password@host`, iSCSI's `user%password@`), also inside
 *     strings such as `filename` and `json:{...}` pseudo-URLs.
 *  4. SECRET_REPLIES: commands whose reply is a secret (qom-get of what
 *     qom-set's value would be masked for), also through HMP. A reply does
 *     not say what it answers: the CLI matches it to its request by id
 *     (replyIsSecret on the request, maskReply on the reply).
 */
import { parseJson, stringifyJson, type JsonValue } from './protocol/json.js';

export const MASK = '********';

type Obj = { [key: string]: JsonValue };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Part 3: names of members and options that hold a secret (or the id of one: masked too, harmlessly). */
export const SECRET_NAME = /password|secret/i;

/** A command's arguments that hold a secret. */
export interface SecretArguments {
  /** Paths below `arguments` whose values are secrets. */
  paths: ReadonlyArray<readonly string[]>;
  /** Only when this holds for the arguments. */
  when?: (args: Obj) => boolean;
}

/**
 * A QOM path that is, or may be, under /objects/ (where user-created objects,
 * secret objects among them, live). Normalised as QEMU resolves it
 * (qom/object.c object_resolve_abs_path skips empty parts: `//objects/s1`
 * and `/objects//s1` are /objects/s1). A partial path (`s1`, no leading
 * `/`) is any object whose path ends so (object_resolve_partial_path),
 * /objects/s1 included: it counts too.
 */
export function qomPathMayBeObject(path: string): boolean {
  if (!path.startsWith('/')) return true;
  return path.split('/').find((part) => part !== '') === 'objects';
}

/**
 * qom-set's value (and qom-get's reply) is a secret when the property is
 * secret-like (the `data` of a secret object, anything named like a
 * password), or it is any property of a user-created object (/objects/ID,
 * where secret objects live, also by a partial path).
 */
function qomTouchesSecret(args: Obj): boolean {
  const { path, property } = args;
  return (
    (typeof property === 'string' && (property === 'data' || SECRET_NAME.test(property))) ||
    (typeof path === 'string' && qomPathMayBeObject(path))
  );
}

/** Part 1. */
export const SECRET_ARGUMENTS: Readonly<Record<string, SecretArguments>> = {
  // qapi/ui.json
  set_password: { paths: [['password']] },
  'change-vnc-password': { paths: [['password']] },
  // qapi/qom.json: a secret object's data is the secret itself (flat since QEMU 6.0; `props` before)
  'object-add': { paths: [['data'], ['props', 'data']], when: (args) => args['qom-type'] === 'secret' },
  'qom-set': { paths: [['value']], when: qomTouchesSecret },
  // qga/qapi-schema.json: what a guest program reads on stdin, what is written into a guest file
  'guest-exec': { paths: [['input-data']] },
  'guest-file-write': { paths: [['buf-b64']] },
};

/** Where an argument of an HMP line is written: masking replaces text[start, end). */
interface Span {
  start: number;
  end: number;
}

/** An HMP line read as its QMP twin: the twin's arguments, and where each is in the line. */
interface HmpReading {
  command: string;
  args: Obj;
  spans: Map<string, Span>;
  /** Arguments written as one JSON object: replaced whole, by its masked copy. */
  json?: { span: Span; masked: string };
}

/** A change to an HMP line: text[start, end) becomes `text`. */
interface Edit extends Span {
  text: string;
}

/**
 * Part 2: HMP command -> its line (after the command name, at `offset` in the
 * whole line) read as the QMP twin. Argument grammars from QEMU 7.2's
 * hmp-commands.hx.
 */
export const SECRET_HMP: Readonly<Record<string, (rest: string, offset: number) => HmpReading | undefined>> = {
  // set_password protocol password [-d display] [action-if-connected]
  set_password: (rest, offset) => positional('set_password', hmpWords(rest, offset), ['protocol', 'password']),
  // change vnc password|passwd PASSWORD (the other `change` forms carry no secret)
  change: (rest, offset) => {
    const words = hmpWords(rest, offset);
    if (words[0]?.text !== 'vnc' || !/^passw(or)?d$/.test(words[1]?.text ?? '')) return undefined;
    return positional('change-vnc-password', words.slice(2), ['password']);
  },
  // object_add [qom-type=]TYPE,id=ID[,PROP=VALUE...], or the same as JSON
  object_add: (rest, offset) => readOptions('object-add', rest, offset, 'qom-type'),
  // qom-set [-j] path property value
  'qom-set': (rest, offset) => {
    const words = hmpWords(rest, offset);
    return positional('qom-set', words[0]?.text === '-j' ? words.slice(1) : words, ['path', 'property', 'value']);
  },
};

/** Part 4: commands whose reply is a secret when this holds for their arguments (the same rule as qom-set's value). */
export const SECRET_REPLIES: Readonly<Record<string, (args: Obj) => boolean>> = {
  // qom-get path=/objects/sx property=data answers with a secret object's data in clear (QEMU 7.2).
  'qom-get': qomTouchesSecret,
};

/** Part 4 for HMP: the line read as the QMP twin (hmp-commands.hx: qom-get path property). */
const SECRET_HMP_REPLIES: Readonly<Record<string, (rest: string) => HmpReading>> = {
  'qom-get': (rest) => positional('qom-get', hmpWords(rest, 0), ['path', 'property']),
};

/**
 * The reply to this request (as sent) is a secret: qom-get of a secret-like
 * property or of an object under /objects/, also as an HMP line through
 * human-monitor-command. The CLI masks that reply whole (maskReply).
 */
export function replyIsSecret(request: JsonValue): boolean {
  if (!isObj(request)) return false;
  const command = typeof request.execute === 'string' ? request.execute : request['exec-oob'];
  const args = isObj(request.arguments) ? request.arguments : {};
  if (typeof command !== 'string') return false;
  if (command === 'human-monitor-command') {
    const line = args['command-line'];
    const m = typeof line === 'string' ? /^\s*(\S+)\s*/.exec(line) : null;
    const name = m?.[1];
    if (!m || name === undefined || !Object.hasOwn(SECRET_HMP_REPLIES, name)) return false;
    const read = SECRET_HMP_REPLIES[name]?.((line as string).slice(m[0].length));
    return read !== undefined && replyIsSecret({ execute: read.command, arguments: read.args });
  }
  const rule = Object.hasOwn(SECRET_REPLIES, command) ? SECRET_REPLIES[command] : undefined;
  return rule !== undefined && rule(args);
}

/** A reply whose request was secret (replyIsSecret): masked as any message, and its `return` replaced by MASK. */
export function maskReply(reply: JsonValue): JsonValue {
  const masked = maskSecrets(reply);
  if (isObj(masked) && Object.hasOwn(masked, 'return') && masked.return !== null) masked.return = MASK;
  return masked;
}

/** A copy of a message (request, reply or event) with every secret replaced by MASK. */
export function maskSecrets(message: JsonValue): JsonValue {
  const masked = maskEverywhere(message);
  if (!isObj(masked) || !isObj(masked.arguments)) return masked;
  // `exec-oob` is a request too (qmp-spec "Out-of-band execution").
  const command = typeof masked.execute === 'string' ? masked.execute : masked['exec-oob'];
  if (typeof command === 'string') maskArguments(command, masked.arguments);
  return masked;
}

/** The message holds a secret: masking changes it (the REPL keeps such lines out of its history). */
export function hasSecret(message: JsonValue): boolean {
  return stringifyJson(maskSecrets(message)) !== stringifyJson(message);
}

/** An HMP command line with every secret replaced by MASK. */
export function maskHmpLine(line: string): string {
  const m = /^(\s*)(\S+)(\s*)/.exec(line);
  let out = line;
  if (m) {
    const name = m[2] as string;
    const read = Object.hasOwn(SECRET_HMP, name) ? SECRET_HMP[name]?.(line.slice(m[0].length), m[0].length) : undefined;
    if (read) out = applyEdits(out, secretEdits(read));
  }
  return maskStringGeneric(maskOptionsByName(out));
}

/** Masks, in place on a copy already made, what part 1 says for `command` (and HMP lines, transactions). */
function maskArguments(command: string, args: Obj): void {
  const rule = Object.hasOwn(SECRET_ARGUMENTS, command) ? SECRET_ARGUMENTS[command] : undefined;
  if (rule && (!rule.when || rule.when(args))) {
    for (const path of rule.paths) setIfPresent(args, path);
  }
  if (command === 'human-monitor-command' && typeof args['command-line'] === 'string') {
    args['command-line'] = maskHmpLine(args['command-line']);
  }
  // A transaction's actions are commands too: {type, data} (qapi/transaction.json).
  if (command === 'transaction' && Array.isArray(args.actions)) {
    for (const action of args.actions) {
      if (isObj(action) && typeof action.type === 'string' && isObj(action.data)) maskArguments(action.type, action.data);
    }
  }
}

function setIfPresent(args: Obj, path: readonly string[]): void {
  let node: JsonValue = args;
  for (const part of path.slice(0, -1)) {
    if (!isObj(node) || !Object.hasOwn(node, part)) return;
    node = node[part] as JsonValue;
  }
  const last = path[path.length - 1] as string;
  if (isObj(node) && Object.hasOwn(node, last) && node[last] !== null) node[last] = MASK;
}

/** Part 3 on a JSON value: a copy, secret-named members masked, URL credentials masked in every string. */
function maskEverywhere(value: JsonValue): JsonValue {
  if (typeof value === 'string') return maskStringGeneric(value);
  if (Array.isArray(value)) return value.map(maskEverywhere);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [key, member] of Object.entries(value)) {
    const v = SECRET_NAME.test(key) && member !== null ? MASK : maskEverywhere(member);
    // "__proto__" is data here, as in the parser.
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * URL credentials: the userinfo runs to the last `@` before the path (a raw
 * `@` in a password is still masked whole); the user name stays.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*):\/\/([^\s/?#"']*)@/gi;

function maskStringGeneric(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(URL_USERINFO, (whole, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    if (colon >= 0) return `${scheme}://${userinfo.slice(0, colon)}:${MASK}@`;
    // libiscsi: iscsi://user%password@host/...
    const percent = scheme.toLowerCase() === 'iscsi' ? userinfo.indexOf('%') : -1;
    if (percent >= 0) return `${scheme}://${userinfo.slice(0, percent)}%${MASK}@`;
    return whole;
  });
}

/** Part 3 in HMP option lists (`drive_add 0 if=none,file.password-secret=x`): the value of a secret-named key. */
const SECRET_OPTION = /(^|[\s,])([\w.-]*(?:password|secret)[\w.-]*)=((?:[^,\s]|,,)+)/gi;

function maskOptionsByName(line: string): string {
  return line.replace(SECRET_OPTION, (_whole, before: string, key: string) => `${before}${key}=${MASK}`);
}

/** What part 1 masks in an HMP line read as its twin. */
function secretEdits(read: HmpReading): Edit[] {
  if (read.json) return [{ ...read.json.span, text: read.json.masked }];
  const rule = SECRET_ARGUMENTS[read.command];
  if (!rule || (rule.when && !rule.when(read.args))) return [];
  // HMP arguments are flat: a path's last name is where it is written (object-add's data and props.data: once).
  const names = new Set(rule.paths.map((path) => path[path.length - 1] as string));
  return [...names].flatMap((name) => {
    const span = read.spans.get(name);
    return span ? [{ ...span, text: MASK }] : [];
  });
}

function applyEdits(line: string, edits: Edit[]): string {
  let out = line;
  for (const { start, end, text } of [...edits].sort((a, b) => b.start - a.start)) {
    out = `${out.slice(0, start)}${text}${out.slice(end)}`;
  }
  return out;
}

interface Word extends Span {
  text: string;
}

/** HMP's words: blank-separated, a "quoted string" with backslash escapes is one (monitor/hmp.c get_str). */
function hmpWords(rest: string, offset: number): Word[] {
  const words: Word[] = [];
  const re = /"((?:[^"\\]|\\.)*)"?|\S+/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    const text = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[0];
    words.push({ text, start: offset + m.index, end: offset + m.index + m[0].length });
  }
  return words;
}

/** Positional words as named arguments of the twin. */
function positional(command: string, words: Word[], names: string[]): HmpReading {
  const args: Obj = {};
  const spans = new Map<string, Span>();
  names.forEach((name, i) => {
    const word = words[i];
    if (!word) return;
    args[name] = word.text;
    spans.set(name, word);
  });
  return { command, args, spans };
}

/**
 * A QemuOpts list (`secret,id=s0,data=x`: `,,` is a literal comma; a first
 * item without `=` is the value of `implied`), or a JSON object.
 */
function readOptions(command: string, rest: string, offset: number, implied: string): HmpReading {
  const args: Obj = {};
  const spans = new Map<string, Span>();
  const lead = rest.length - rest.trimStart().length;
  const body = rest.trim();
  if (body.startsWith('{')) {
    // JSON: masked as the twin's arguments and written back; JSON that cannot be read cannot be checked: masked whole.
    const span = { start: offset + lead, end: offset + lead + body.length };
    let parsed: JsonValue;
    try {
      parsed = parseJson(body);
    } catch {
      return { command, args, spans, json: { span, masked: MASK } };
    }
    if (!isObj(parsed)) return { command, args, spans, json: { span, masked: MASK } };
    const masked = maskSecrets({ execute: command, arguments: parsed });
    const changed = stringifyJson(masked) !== stringifyJson({ execute: command, arguments: parsed });
    return changed && isObj(masked) ? { command, args: parsed, spans, json: { span, masked: stringifyJson(masked.arguments) } } : { command, args: parsed, spans };
  }
  const re = /(?:[^,]|,,)+/g;
  let first = true;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const item = m[0];
    const eq = item.indexOf('=');
    const start = offset + lead + m.index;
    if (eq < 0) {
      if (first) {
        args[implied] = item.replace(/,,/g, ',');
        spans.set(implied, { start, end: start + item.length });
      }
    } else {
      const key = item.slice(0, eq);
      args[key] = item.slice(eq + 1).replace(/,,/g, ',');
      spans.set(key, { start: start + eq + 1, end: start + item.length });
    }
    first = false;
  }
  return { command, args, spans };
}
