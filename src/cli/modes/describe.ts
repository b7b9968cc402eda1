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
    // device_add driver=X: not a variant (device_add has none), X's own properties after the arguments.
    const driver = deviceDriver(name, mode.select);
    const select = driver === undefined ? mode.select : [];
    const text = (await session.schema.judge((s) => describeName(s, name, select))) ?? describeName(schema, name, select);
    return driver === undefined ? text : text + (await deviceSection(session.client, driver));
  });
}

export async function runDescribe(mode: Describe, rt: Runtime, target: string): Promise<void> {
  const text = await describeOn(mode, rt, target);
  rt.io.outText(text.endsWith('\n') ? text : `${text}\n`);
}

/** The driver `--describe device_add driver=X` names; anything else after device_add is refused. */
function deviceDriver(name: string, select: readonly string[]): string | undefined {
  if (name !== 'device_add' || select.length === 0) return undefined;
  const driver = givenValue(select, 'driver');
  if (driver === undefined || driver === '' || select.length > 1) {
    throw new UsageError(`--describe device_add takes driver=DRIVER alone (its properties), not '${select.join(' ')}'`);
  }
  return driver;
}

/** X's own properties, from the live QEMU (device-list-properties). */
async function deviceSection(client: QmpClient, driver: string): Promise<string> {
  try {
    return `\n${describeDeviceProperties(driver, await fetchDeviceProperties(client, driver)).join('\n')}`;
  } catch (err) {
    if (err instanceof CommandError) throw new UsageError(`no device driver '${driver}' here (${err.desc})`, { cause: err });
    throw err;
  }
}
