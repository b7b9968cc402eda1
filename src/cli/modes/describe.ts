/** `qmpsh TARGET --describe [NAME]`: the live schema, read by a person. */
import { CommandError, ConnectError, QmpError } from '../../errors.js';
import { describeName, listNames } from '../../schema/describe.js';
import { withSession, type Runtime } from '../core/session.js';
import type { Mode } from '../options/decide.js';

type Describe = Extract<Mode, { kind: 'describe' }>;

/** The description's text (from the peer's schema: printed with io.outText, never live). */
export function describeOn(mode: Describe, rt: Runtime, target: string, tag?: string): Promise<string> {
  // The schema is the point here, whatever --no-validate would say elsewhere.
  const withSchema: Runtime = { ...rt, common: { ...rt.common, validate: true } };
  return withSession(withSchema, target, { tag }, async (session) => {
    await session.open();
    const schema = await session.schema.full();
    if (!schema) {
      // A timeout or a lost connection is that, with its own exit code.
      if (session.schema.problem instanceof QmpError && !(session.schema.problem instanceof CommandError)) {
        throw session.schema.problem;
      }
      throw new ConnectError('the server did not give its schema (query-qmp-schema failed)', { cause: session.schema.problem });
    }
    if (!mode.name) return listNames(schema, 'command');
    const name = mode.name;
    // A name the cached schema lacks is looked up in the live one before "no such name".
    return (await session.schema.judge((s) => describeName(s, name, mode.select))) ?? describeName(schema, name, mode.select);
  });
}

export async function runDescribe(mode: Describe, rt: Runtime, target: string): Promise<void> {
  const text = await describeOn(mode, rt, target);
  rt.io.outText(text.endsWith('\n') ? text : `${text}\n`);
}
