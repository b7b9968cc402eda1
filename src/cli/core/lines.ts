/** Statements from a stream, line by line as they arrive (a script may be generated slowly). */
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { UsageError } from '../../errors.js';
import { needsMoreInput } from '../../shell/line.js';

export interface NumberedStatement {
  /** 1-based line where the statement starts. */
  line: number;
  text: string;
}

export async function* readLines(stream: Readable): AsyncGenerator<string> {
  let rest = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop() as string;
    for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
  if (rest !== '') yield rest;
}

/** Joins the lines of a statement that spans several (JSON until it balances). */
export async function* readStatements(lines: AsyncIterable<string>): AsyncGenerator<NumberedStatement> {
  let lineNo = 0;
  let start = 0;
  let buffer: string[] = [];
  for await (const line of lines) {
    lineNo++;
    if (buffer.length === 0) start = lineNo;
    buffer.push(line);
    const text = buffer.join('\n');
    if (needsMoreInput(text)) continue;
    buffer = [];
    yield { line: start, text };
  }
  if (buffer.length > 0) yield { line: start, text: buffer.join('\n') };
}

/** The script: FILE (checked readable first: a clear exit 2, not a stream error), or stdin. */
export function openScript(path: string | undefined): Readable {
  if (path === undefined) return process.stdin;
  try {
    fs.accessSync(path, fs.constants.R_OK);
  } catch (err) {
    throw new UsageError(`cannot read the script ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, { cause: err });
  }
  return fs.createReadStream(path);
}
