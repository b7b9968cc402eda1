/**
 * Splits one line of the REPL/batch syntax into words, the way a POSIX shell
 * would for the cases that matter here. Pure.
 *
 *   words split on blanks       device=drive0 bps=1000
 *   '...' is literal            command-line='info status'
 *   "..." allows \" and \\      command-line="info \"x\""
 *   {...} and [...] are kept whole, quotes and blanks included, until they
 *   balance (JSON-string aware), so  x={"a": 1, "b": [1, 2]}  is one word
 *
 * An unterminated quote or bracket is reported as `incomplete` (the caller
 * decides whether a further line may complete it).
 */
import { UsageError } from '../errors.js';

export type TokenizeResult = { ok: true; words: string[] } | { ok: false; incomplete: string };

export function tokenize(line: string): TokenizeResult {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { ok: false, incomplete: 'a quote (\') is not closed' };
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < n; j++) {
        const d = line[j] as string;
        if (d === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) {
          text += line[j + 1];
          j++;
        } else if (d === '"') break;
        else text += d;
      }
      if (j >= n) return { ok: false, incomplete: 'a quote (") is not closed' };
      word += text;
      i = j + 1;
    } else if (c === '{' || c === '[') {
      const end = balancedEnd(line, i);
      if (end < 0) return { ok: false, incomplete: `a ${c === '{' ? 'brace ({)' : 'bracket ([)'} is not closed` };
      word += line.slice(i, end);
      i = end;
    } else if (c === '\\' && i + 1 < n) {
      word += line[i + 1];
      i += 2;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}

/** Like tokenize, but an incomplete line is a UsageError. */
export function tokenizeComplete(line: string): string[] {
  const result = tokenize(line);
  if (!result.ok) throw new UsageError(`incomplete input: ${result.incomplete}`);
  return result.words;
}

/** Index just past the bracket that closes the one at `start`, or -1. */
export function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
      if (depth < 0) return -1;
    }
  }
  return -1;
}
