/** `qmpsh TARGET COMMAND [key=value ...]` and `qmpsh TARGET --hmp CMDLINE`. */
import { compactJson } from '../output/format.js';
import { formatValue } from '../output/value.js';
import { send } from '../core/gate.js';
import { withSession, type Runtime } from '../core/session.js';
import type { Mode } from '../options/decide.js';

type OneShot = Extract<Mode, { kind: 'oneshot' }>;

export async function runOneShot(mode: OneShot, rt: Runtime, target: string): Promise<void> {
  const { io } = rt;
  const json = mode.format.json ? (value: unknown) => io.out(compactJson(value)) : undefined;
  const result = await withSession(rt, target, { json }, async (session) => {
    await session.open();
    return send(session, mode.action);
  });
  if (mode.format.json) return;
  if (mode.format.table) {
    const { renderTable } = await import('../output/table.js');
    io.out(renderTable([{ target, ok: true, value: result.kind === 'qmp' ? result.value : result.text }], io));
    return;
  }
  if (result.kind === 'hmp') io.outText(result.text);
  else io.out(formatValue(result.value, mode.format, io));
}
