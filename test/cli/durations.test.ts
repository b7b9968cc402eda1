/**
 * --timeout, --connect-timeout and --wait-socket take seconds as a plain
 * decimal, through one parser (src/cli/options/decide.ts seconds()): what is
 * not one (0x10, 1e3, -1, Infinity) and what is below a millisecond (0.0009:
 * it used to round up to 1 ms although the message asks for 0.001 or more)
 * is refused before connecting, exit 2, one line. No QEMU needed: the target
 * does not exist, so a value that is accepted ends in exit 3.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const NOWHERE = '/nonexistent/vm.qmp';
const FLAGS = ['--timeout', '--connect-timeout', '--wait-socket'] as const;

describe.each(FLAGS)('%s', (flag) => {
  it.each([
    ['0.0009', /is below a millisecond: give 0\.001 or more/],
    ['0.0004', /is below a millisecond/],
    ['0x10', /plain decimal/],
    ['0b1', /plain decimal/],
    ['1e3', /plain decimal/],
    ['-1', /plain decimal/],
    ['+5', /plain decimal/],
    ['Infinity', /plain decimal/],
    ['NaN', /plain decimal/],
    ['5s', /plain decimal/],
    [' 5', /plain decimal/],
    ['', /plain decimal/],
    ['.', /plain decimal/],
    ['3000000', /is too long: at most 2147483 seconds/],
  ])('refuses %j (exit 2, one line, nothing sent)', async (value, message) => {
    const r = await runCli([NOWHERE, `${flag}=${value}`, 'query-status']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^qmpsh: [^\n]+\n$/);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toMatch(message);
  });

  // --wait-socket would wait that long for the missing socket: small values only.
  const taken = flag === '--wait-socket' ? ['0', '0.001', '0.01', '.05', '0.'] : ['0', '0.001', '10', '0.5', '.5', '2.'];
  it.each(taken)('takes %j (then fails to connect: exit 3)', async (value) => {
    const r = await runCli([NOWHERE, `${flag}=${value}`, 'query-status']);
    expect(r.code, r.stderr).toBe(3);
    // A limit of a millisecond may run out before the missing path is seen (a loaded machine).
    expect(r.stderr).toMatch(/no socket at|could not connect to .* within 0\.001s/);
  });
});
