/**
 * Which words are targets, and what a glob among them names. One decision
 * each, used by parsing, fan-out and completion alike.
 *
 * Globs have the shell's meaning (src/glob.ts: `*`, `?`, `[a-z]`, `[!a]`,
 * backslash escapes). A path that exists is taken literally first, and a
 * `unix:` target is never a glob: a socket named `vm[1].qmp` is reachable as
 * `vm[1].qmp` (it exists) and as `unix:vm[1].qmp`.
 */
import fs from 'node:fs';
import { QmpError, UsageError } from '../../errors.js';
import { expandPathGlob, hasGlob } from '../../glob.js';
import { formatSshTarget, parseSshTarget, type SshTarget } from '../../transport/ssh.js';

const HOST_PORT_LIKE = /^(\[[0-9A-Fa-f:.%\w-]+\]|[A-Za-z0-9._-]+):\d+$/;

/** Does this word name a target rather than a command? Command names hold no '/' or ':'. */
export function looksLikeTarget(word: string): boolean {
  if (word.startsWith('{')) return false;
  // `@web1`: a VM by its name (cli/core/names.ts); no QMP command starts with '@'.
  return /^@[^=]/.test(word) || word.includes('/') || /^(unix|tcp|ssh):/.test(word) || HOST_PORT_LIKE.test(word);
}

/** An existing socket (`vm2.qmp` in the current directory): a target, whatever it looks like. */
export function isSocket(word: string): boolean {
  if (word.includes('=') || word.startsWith('{')) return false;
  try {
    return fs.statSync(word).isSocket();
  } catch {
    return false;
  }
}

/**
 * A word that is a target, not a command or an argument, wherever it stands
 * among the targets (parsing and completion ask this same question): one
 * that looks like an address, an existing socket, or a glob (`[bc].qmp`:
 * no QMP command name holds `*`, `?` or `[`). Never a key=value word or JSON.
 */
export function isTargetWord(word: string): boolean {
  if (word.startsWith('{') || /^[^/]*=/.test(word)) return false;
  return looksLikeTarget(word) || isSocket(word) || hasGlob(word);
}

/** A target that names several sockets (fan-out), not one. A path that exists is itself, literally. */
export function isGlobTarget(target: string): boolean {
  if (target.startsWith('unix:') || target.startsWith('tcp:') || target.startsWith('listen:')) return false;
  if (target.startsWith('@')) return hasGlob(target.slice(1));
  if (target.startsWith('ssh://')) return hasGlob(parseSshTarget(target)?.path ?? '');
  if (!hasGlob(target)) return false;
  return !exists(target);
}

/**
 * A path with backslash escapes and no glob (`vm\[1\].qmp`) means what the
 * shell would make of it, `vm[1].qmp`, unless a file of that very name exists.
 */
export function unescapedTarget(target: string): string {
  if (!target.includes('\\') || /^[a-z]+:/.test(target) || target.startsWith('@') || hasGlob(target) || exists(target)) return target;
  return target.replace(/\\(.?)/gsu, '$1');
}

function exists(path: string): boolean {
  try {
    fs.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The words of a command line -> targets and the rest (command and its
 * arguments). With $QMPSH_TARGET set the TARGET may be left out: then the
 * first word is the command. A first word that looks like a target still is one.
 */
export function resolveTargets(words: readonly string[], env: NodeJS.ProcessEnv): { targets: string[]; rest: string[] } {
  const fallback = env.QMPSH_TARGET;
  const [first] = words;
  if (first === undefined || (fallback && !isTargetWord(first))) {
    if (!fallback) throw new UsageError('no TARGET given: name a QMP socket (or host:port), or set QMPSH_TARGET');
    return { targets: [fallback], rest: [...words] };
  }
  // More targets may follow the first (fan-out): words that look like targets, not key=value.
  let i = 1;
  while (i < words.length && isTargetWord(words[i] as string)) i++;
  return { targets: words.slice(0, i).map(unescapedTarget), rest: words.slice(i) };
}

export interface ExpandedTarget {
  /** As shown and tagged. */
  target: string;
  /** As connected to: a path found by a glob is a path, whatever it looks like (`vm:1`). */
  address: string;
  /** A glob that matched nothing: reported as that target's error. */
  missing?: boolean;
  /** A VM by name that cannot be reached (no QMP monitor, held, unknown): that target's error. */
  error?: QmpError;
}

/**
 * Expands an ssh:// glob on its host: cli/core/names.ts does it on the host's
 * shared ssh login, under the run's signal. Rejects with the host's error
 * (login failed, host unreachable).
 */
export type RemoteGlobber = (remote: SshTarget) => Promise<string[]>;

/**
 * Globs expanded (sorted, as the shell would), literal targets as given. A
 * remote glob goes over the network (remoteGlob), never synchronously: a
 * signal must still be heard while the host is slow. A host that cannot be
 * reached is that target's error.
 */
export async function expandTargets(targets: readonly string[], remoteGlob: RemoteGlobber): Promise<ExpandedTarget[]> {
  const out: ExpandedTarget[] = [];
  for (const t of targets) {
    const remote = t.startsWith('ssh://') && isGlobTarget(t) ? parseSshTarget(t) : undefined;
    if (!remote) {
      out.push(...expandLocalTarget(t));
      continue;
    }
    // Globs on the remote side: the remote shell expands them.
    try {
      const found = await remoteGlob(remote);
      out.push(...(found.length ? found.map((f) => ({ target: formatSshTarget(remote, f), address: formatSshTarget(remote, f) })) : [{ target: t, address: t, missing: true }]));
    } catch (err) {
      if (!(err instanceof QmpError)) throw err;
      out.push({ target: t, address: t, error: err });
    }
  }
  return out;
}

/** A target without the network: a local glob expanded (sorted), anything else as given (an ssh:// glob too). */
export function expandLocalTarget(t: string): ExpandedTarget[] {
  if (!isGlobTarget(t) || t.startsWith('ssh://')) return [{ target: t, address: t }];
  const found = expandPathGlob(t);
  return found.length
    ? found.map((path) => ({ target: path, address: `unix:${path}` }))
    : [{ target: t, address: t, missing: true }];
}
