/** `qmpsh TARGET --describe [NAME]`: the live schema, read by a person. */
import { CommandError, ConnectError, QmpError, UsageError } from '../../errors.js';
import { describeDeviceProperties } from '../../schema/device-props.js';
import type { QmpClient } from '../../session.js';
import { givenValue } from '../completion/arguments.js';
import { fetchDeviceProperties } from '../core/device-properties.js';
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
    const text = (await session.schema.judge((s) => describeName(s, name))) ?? describeName(schema, name);
    return text + (await deviceSection(session.client, name, mode.args));
  });
}

export async function runDescribe(mode: Describe, rt: Runtime, target: string): Promise<void> {
  const text = await describeOn(mode, rt, target);
  rt.io.outText(text.endsWith('\n') ? text : `${text}\n`);
}

/** `device_add driver=X`: X's own properties, from the live QEMU, after the schema's arguments. */
async function deviceSection(client: QmpClient, name: string, args: readonly string[]): Promise<string> {
  if (args.length === 0) return '';
  const driver = name === 'device_add' ? givenValue(args, 'driver') : undefined;
  if (driver === undefined || args.length > 1) {
    throw new UsageError(`key=value words after --describe NAME: only device_add driver=DRIVER (its properties), not '${args.join(' ')}'`);
  }
  try {
    return `\n${describeDeviceProperties(driver, await fetchDeviceProperties(client, driver)).join('\n')}`;
  } catch (err) {
    if (err instanceof CommandError) throw new UsageError(`no device driver '${driver}' here (${err.desc})`, { cause: err });
    throw err;
  }
}
