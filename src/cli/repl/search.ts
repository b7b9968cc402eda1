/**
 * Ctrl-R reverse incremental history search for node:readline, which has
 * none. It wraps the interface's key handler: while searching, keys edit the
 * query; Enter accepts the match and runs it, Ctrl-G / Esc cancel, Ctrl-R
 * finds the next older match, any other key accepts the match and is then
 * handled as usual (so arrows start editing it).
 *
 * node:readline dispatches keys to a method keyed by an internal symbol whose
 * description is `_ttyWrite` (Node 18-22); when it is not found, Ctrl-R is
 * simply not available and nothing else changes.
 */
import type { Interface } from 'node:readline';

interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
  sequence?: string;
}

type TtyWrite = (s: string | undefined, key: Key) => void;

interface ReadlineInternals {
  line: string;
  cursor: number;
  history: string[];
  _refreshLine(): void;
  setPrompt(p: string): void;
  getPrompt(): string;
}

function findTtyWriteSymbol(rl: Interface): symbol | undefined {
  for (let p: object | null = Object.getPrototypeOf(rl); p; p = Object.getPrototypeOf(p)) {
    const sym = Object.getOwnPropertySymbols(p).find((s) => s.description === '_ttyWrite');
    if (sym) return sym;
  }
  return undefined;
}

export function installReverseSearch(rl: Interface): boolean {
  const sym = findTtyWriteSymbol(rl);
  if (!sym) return false;
  const target = rl as unknown as Record<symbol, TtyWrite> & ReadlineInternals;
  const original = target[sym] as TtyWrite;
  let searching = false;
  let query = '';
  let matchIndex = -1;
  let savedPrompt = '';
  let savedLine = '';

  const render = (failed: boolean) => {
    const label = failed ? 'failing reverse-i-search' : 'reverse-i-search';
    target.setPrompt(`(${label})'${query}': `);
    const entry = matchIndex >= 0 ? (target.history[matchIndex] ?? '') : '';
    target.line = entry;
    const at = entry.indexOf(query);
    target.cursor = at >= 0 ? at : entry.length;
    target._refreshLine();
  };
  /** Finds the first entry at index >= from that contains the query. */
  const find = (from: number) => {
    for (let i = from; i < target.history.length; i++) {
      if ((target.history[i] ?? '').includes(query)) return i;
    }
    return -1;
  };
  const finish = (restore: boolean) => {
    searching = false;
    target.setPrompt(savedPrompt);
    if (restore) {
      target.line = savedLine;
      target.cursor = savedLine.length;
    }
    target._refreshLine();
  };

  const handler = function (this: unknown, s: string | undefined, key: Key = {}) {
    if (!searching) {
      if (key.ctrl && key.name === 'r') {
        searching = true;
        query = '';
        matchIndex = -1;
        savedPrompt = target.getPrompt();
        savedLine = target.line;
        render(false);
        return;
      }
      original.call(target, s, key);
      return;
    }
    if (key.ctrl && key.name === 'r') {
      const next = find(matchIndex + 1);
      if (next >= 0) matchIndex = next;
      render(next < 0);
    } else if ((key.ctrl && key.name === 'g') || key.name === 'escape') {
      finish(true);
    } else if (key.name === 'backspace') {
      query = query.slice(0, -1);
      matchIndex = query ? find(0) : -1;
      render(false);
    } else if (key.name === 'return' || key.name === 'enter') {
      finish(false);
      original.call(target, s, key);
    } else if (s && !key.ctrl && !key.meta && s.length === 1 && s >= ' ') {
      query += s;
      const found = find(Math.max(matchIndex, 0));
      if (found >= 0) matchIndex = found;
      render(found < 0);
    } else {
      finish(false);
      original.call(target, s, key);
    }
  } as TtyWrite;
  // The prototype exposes it as a getter only: shadow it with an own property.
  Object.defineProperty(target, sym, { value: handler, configurable: true, writable: true });
  return true;
}
