/** `qmpsh TARGET --describe [NAME]`: the live schema, read by a person. */
import { ConnectError } from '../errors.js';
import { describeName, listNames } from '../schema/describe.js';
import type { Io } from './io.js';
import type { CliOptions } from './program.js';
import { cliSession } from './session.js';

export async function runDescribe(options: CliOptions, io: Io): Promise<void> {
  const session = cliSession({ ...options, validate: true }, io);
  try {
    await session.open();
    const schema = await session.schema.full();
    if (!schema) throw new ConnectError('the server did not give its schema (query-qmp-schema failed)');
    io.out(options.describe ? describeName(schema, options.describe) : listNames(schema, 'command'));
  } finally {
    session.close();
  }
}
