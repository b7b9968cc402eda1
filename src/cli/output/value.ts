/** A JSON value as the user asked for it: indented on a terminal, else one line. */
import type { JsonValue } from '../../protocol/json.js';
import type { ValueFormat } from '../options/decide.js';
import { compactJson, prettyJson } from './format.js';
import type { Io } from './io.js';

export function formatValue(value: JsonValue, format: Pick<ValueFormat, 'pretty'>, io: Io): string {
  const pretty = format.pretty ?? io.stdoutIsTTY;
  return pretty ? prettyJson(value, io.outPaint) : compactJson(value);
}
