/**
 * Fan-out: the same command (or script, or --wait-event) on many targets,
 * concurrently (--parallel N). A target that is busy, dead or missing is that
 * target's error, never fatal for the others.
 *
 * Output, in the order the targets were given (globs sorted): one NDJSON line
 * per target ({"target", "return"} or {"target", "error"}) when stdout is not
 * a terminal; a readable block per target on a terminal; --table for flat
 * replies. A summary line on stderr; exit 0 only if every target succeeded,
 * else the highest exit code among them.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { parseAddress } from '../address.js';
import { QmpError, UsageError } from '../errors.js';
import { parseMatch, waitForEvent } from '../events.js';
import { runHmp } from '../hmp.js';
import type { JsonValue } from '../protocol/json.js';
import { QmpClient } from '../session.js';
import { parseStatement } from '../shell/line.js';
import { exitCodeFor } from './exit-codes.js';
import { compactJson, prettyJson } from './format.js';
import type { Io } from './io.js';
import { readLines, readStatements, type NumberedStatement } from './lines.js';
import type { Action } from './oneshot.js';
import type { CliOptions } from './program.js';
import { SchemaAccess } from './schema-access.js';
import { expandRemoteGlob, formatSshTarget, parseSshTarget } from '../transport/ssh.js';

const GLOB = /[*?[]/;

/** Expands globs in the last path component (`/var/run/ganeti/kvm/*.qmp`), sorted. */
export function expandTargets(targets: readonly string[]): Array<{ target: string; missing?: boolean }> {
  return targets.flatMap((t) => {
    const p = t.startsWith('unix:') ? t.slice(5) : t;
    if (!GLOB.test(p)) return [{ target: t }];
    if (t.startsWith('ssh://')) {
      // Globs on the remote side: the remote shell expands them.
      const remote = parseSshTarget(t);
      const found = remote ? expandRemoteGlob(remote) : [];
      return found.length && remote ? found.map((f) => ({ target: formatSshTarget(remote, f) })) : [{ target: t, missing: true }];
    }
    const dir = path.dirname(p);
    const re = new RegExp(
      `^${path.basename(p).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`,
    );
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((n) => re.test(n) && !n.startsWith('.'));
    } catch {
      // an unreadable or missing directory matches nothing
    }
    return names.length ? names.sort().map((n) => ({ target: path.join(dir, n) })) : [{ target: t, missing: true }];
  });
}

interface Result {
  target: string;
  ok: boolean;
  value?: JsonValue;
  /** Batch mode: one result per line. */
  lines?: Array<{ line: number; value?: JsonValue; error?: QmpError }>;
  error?: QmpError;
}

export async function runFanOut(options: CliOptions, action: Action | undefined, io: Io): Promise<void> {
  const targets = expandTargets(options.targets);
  const script = action || options.waitEvent.length > 0 ? undefined : await readScript(options);
  const interrupt = new AbortController();
  // Every target's connect and command listen on this one signal at once.
  setMaxListeners(0, interrupt.signal);
  const onSigint = () => interrupt.abort();
  process.on('SIGINT', onSigint);
  const results: Array<Result | undefined> = new Array(targets.length);
  let printed = 0;
  const tty = Boolean(process.stdout.isTTY) && !options.table;
  const printReady = () => {
    if (options.table) return; // the table needs every row
    while (printed < results.length && results[printed]) print(results[printed++] as Result, tty, options, io);
  };
  try {
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        const t = targets[i] as { target: string; missing?: boolean };
        results[i] = t.missing
          ? { target: t.target, ok: false, error: new UsageError(`no socket matches ${t.target}`) }
          : await runOne(t.target, options, action, script, interrupt.signal);
        printReady();
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.parallel, targets.length) }, worker));
  } finally {
    process.off('SIGINT', onSigint);
  }
  const done = results as Result[];
  if (options.table) io.out(table(done));
  const failed = done.filter((r) => !r.ok);
  const worst = Math.max(0, ...failed.map((r) => exitCodeFor(r.error)));
  io.err(
    `${io.errPaint.dim('qmpsh:')} ${done.length - failed.length} of ${done.length} targets succeeded` +
      (failed.length ? `; failed: ${failed.map((r) => `${r.target} (${r.error?.code ?? 'error'})`).join(', ')}` : ''),
  );
  process.exitCode = worst;
}

async function readScript(options: CliOptions): Promise<NumberedStatement[]> {
  if (options.file === undefined && process.stdin.isTTY) {
    throw new UsageError('with several targets, give a COMMAND or a script (-f FILE, or on stdin): the interactive shell takes one');
  }
  const input = options.file ? fs.createReadStream(options.file) : process.stdin;
  const statements: NumberedStatement[] = [];
  for await (const s of readStatements(readLines(input))) statements.push(s);
  // Bad input anywhere is found before any target is touched.
  for (const s of statements) parseStatement(s.text);
  return statements;
}

async function runOne(
  target: string,
  options: CliOptions,
  action: Action | undefined,
  script: NumberedStatement[] | undefined,
  signal: AbortSignal,
): Promise<Result> {
  let client: QmpClient | undefined;
  try {
    client = new QmpClient(parseAddress(target), {
      connectTimeoutMs: options.connectTimeoutMs,
      commandTimeoutMs: options.timeoutMs,
      maxMessageBytes: options.maxMessageBytes,
      waitForSocketMs: options.waitSocketMs,
      signal,
    });
    await client.open();
    const schema = new SchemaAccess(client, { validate: options.validate, warn: () => {}, note: () => {} });
    const run = async (a: Action): Promise<JsonValue> =>
      a.kind === 'hmp'
        ? runHmp(client as QmpClient, a.commandLine, { signal })
        : (async () => {
            const request = await schema.request(a.call);
            return (client as QmpClient).execute(request.execute, request.arguments, { signal });
          })();

    if (script) {
      const lines: NonNullable<Result['lines']> = [];
      for (const { line, text } of script) {
        const statement = parseStatement(text);
        if (statement.kind === 'empty' || statement.kind === 'shell') continue;
        const a: Action = statement.kind === 'hmp' ? statement : { kind: 'qmp', call: statement.call };
        try {
          lines.push({ line, value: await run(a) });
        } catch (err) {
          if (!(err instanceof QmpError)) throw err;
          lines.push({ line, error: err });
          if (!options.keepGoing) return { target, ok: false, lines, error: err };
        }
      }
      const failure = lines.find((l) => l.error)?.error;
      return failure ? { target, ok: false, lines, error: failure } : { target, ok: true, lines };
    }

    const waiter =
      options.waitEvent.length > 0
        ? waitForEvent(client, { names: options.waitEvent, matches: options.matches.map(parseMatch) }, { timeoutMs: options.timeoutMs, signal })
        : undefined;
    const value = action ? await run(action) : undefined;
    if (waiter) return { target, ok: true, value: (await waiter.promise) as unknown as JsonValue };
    return { target, ok: true, value: value ?? null };
  } catch (err) {
    if (!(err instanceof QmpError)) throw err;
    return { target, ok: false, error: err };
  } finally {
    client?.close();
  }
}

function errorJson(e: QmpError | undefined): JsonValue {
  if (!e) return null;
  const cls = (e as { errorClass?: string }).errorClass;
  return { code: e.code, ...(cls ? { class: cls, desc: (e as { desc?: string }).desc ?? '' } : {}), message: e.message };
}

function print(r: Result, tty: boolean, options: CliOptions, io: Io): void {
  if (r.lines) {
    for (const l of r.lines) {
      io.out(compactJson(l.error ? { target: r.target, line: l.line, error: errorJson(l.error) } : { target: r.target, line: l.line, return: l.value }));
    }
    if (r.error && !r.lines.some((l) => l.error)) io.out(compactJson({ target: r.target, error: errorJson(r.error) }));
    return;
  }
  if (!tty) {
    io.out(compactJson(r.ok ? { target: r.target, return: r.value } : { target: r.target, error: errorJson(r.error) }));
    return;
  }
  io.out(io.outPaint.bold(`== ${r.target}`));
  if (r.ok) io.out(options.pretty === false ? compactJson(r.value) : prettyJson(r.value as JsonValue, io.outPaint));
  else io.out(io.outPaint.red(`error: ${r.error?.message}`));
}

/** One row per target; the columns are the scalar members of the replies. */
function table(results: Result[]): string {
  const columns: string[] = [];
  for (const r of results) {
    if (r.ok && r.value && typeof r.value === 'object' && !Array.isArray(r.value)) {
      for (const [k, v] of Object.entries(r.value)) {
        if ((v === null || typeof v !== 'object') && !columns.includes(k)) columns.push(k);
      }
    }
  }
  const header = ['TARGET', ...columns.map((c) => c.toUpperCase())];
  const rows = results.map((r) => {
    if (!r.ok) return [r.target, `error: ${r.error?.message ?? ''}`];
    const v = (r.value ?? {}) as Record<string, JsonValue>;
    return [r.target, ...columns.map((c) => (v[c] === undefined ? '' : typeof v[c] === 'string' ? (v[c] as string) : compactJson(v[c])))];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ')).join('\n');
}
