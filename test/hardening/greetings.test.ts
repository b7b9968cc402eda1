/**
 * Malformed greetings are protocol violations: exit 4 and one line naming
 * them, in every mode, never an internal error (exit 70) or a stack trace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { classify, greetingVersion, type Greeting } from '../../src/protocol/messages.js';
import { ProtocolError } from '../../src/errors.js';
import { GREETING, useFakeServers } from '../helpers/fake-server.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

const serve = useFakeServers(afterEach);

/** GREETING with one change at `path` (undefined: the member is removed). */
function greetingWith(path: string[], value: unknown): object {
  const copy = structuredClone(GREETING) as Record<string, unknown>;
  let node = copy;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const BAD_GREETINGS: Array<[string, object]> = [
  ['"package": 123', greetingWith(['QMP', 'version', 'package'], 123)],
  ['"major": {}', greetingWith(['QMP', 'version', 'qemu', 'major'], {})],
  ['"version" missing', greetingWith(['QMP', 'version'], undefined)],
  ['"capabilities": "x"', greetingWith(['QMP', 'capabilities'], 'x')],
  ['"capabilities": [1]', greetingWith(['QMP', 'capabilities'], [1])],
  ['"micro": "0/../../x"', greetingWith(['QMP', 'version', 'qemu', 'micro'], '0/../../x')],
  ['"minor": 1.5', greetingWith(['QMP', 'version', 'qemu', 'minor'], 1.5)],
  ['"major": -7', greetingWith(['QMP', 'version', 'qemu', 'major'], -7)],
  ['"qemu" missing', greetingWith(['QMP', 'version', 'qemu'], undefined)],
  ['"package" missing', greetingWith(['QMP', 'version', 'package'], undefined)],
  ['"QMP": []', { QMP: [] }],
];

describe('the greeting shape (protocol/messages.ts)', () => {
  it.each(BAD_GREETINGS)('%s is a ProtocolError', (_name, greeting) => {
    expect(() => classify(greeting as never)).toThrow(ProtocolError);
    expect(() => classify(greeting as never)).toThrow(/malformed greeting/);
  });

  it('accepts the real shape, and members QEMU may add later', () => {
    expect(classify(GREETING as never).kind).toBe('greeting');
    const more = { QMP: { ...GREETING.QMP, version: { ...GREETING.QMP.version, extra: 1 }, later: true } };
    const c = classify(more as never);
    expect(c.kind).toBe('greeting');
    expect(greetingVersion(c.message as Greeting)).toBe('7.2.0 (fake)');
  });
});

/** Every mode that greets a peer, as a command line (and its stdin). */
const MODES: Array<[string, (sock: string) => string[], string?]> = [
  ['one-shot', (s) => [s, 'query-status']],
  ['batch', (s) => [s], 'query-status\nquery-name\n'],
  ['--hmp', (s) => [s, '--hmp', 'info status']],
  ['--events', (s) => [s, '--events', '--count', '1']],
  ['--wait-event', (s) => [s, '--wait-event', 'STOP']],
  ['--wait', (s) => [s, '--wait', 'job-complete', 'id=j']],
  ['--jobs', (s) => [s, '--jobs']],
  ['--describe', (s) => [s, '--describe', 'query-status']],
];

describe('a malformed greeting: exit 4, one line, in every mode', () => {
  const cases = BAD_GREETINGS.slice(0, 4).flatMap(([name, greeting]) =>
    MODES.map(([mode, args, input]) => ({ name, greeting, mode, args, input })),
  );
  it.each(cases)('$name, $mode', async ({ greeting, args, input }) => {
    const server = await serve((c) => c.send(greeting));
    const r = await runCli(args(server.path), { input: input ?? '' });
    expect(r.stderr).toMatch(/^qmpsh: the server sent a malformed greeting: .*\n$/);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
  });

  it('fan-out: that target fails with exit 4, the others go on', async () => {
    const bad = await serve((c) => c.send(BAD_GREETINGS[0]![1]));
    const good = await serve(async (c) => {
      await c.negotiate();
      c.reply(await c.nextRequest(), { status: 'running' });
    });
    const r = await runCli([bad.path, good.path, 'query-status']);
    expect(r.code).toBe(4);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ error: { code: 'QMP_PROTOCOL_ERROR' } });
    expect(lines[1]).toMatchObject({ return: { status: 'running' } });
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it.each(BAD_GREETINGS.slice(0, 4))('the REPL, in a terminal: %s', async (_name, greeting) => {
    requireTmux();
    const server = await serve((c) => c.send(greeting));
    const t = Tmux.start([...CLI, server.path], { NO_COLOR: '1' }, 200, 40);
    try {
      expect(await t.exitCode()).toBe(4);
      const lines = t.lines();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^qmpsh: the server sent a malformed greeting: /);
    } finally {
      t.close();
    }
  });
});

describe('a greeting twice', () => {
  // QEMU greets twice when a client connects while it sets up the monitor
  // (seen under --launch, now and then): before the reply to our
  // qmp_capabilities, the second greeting is the one QEMU's session goes on with.
  it('before the negotiation reply (QEMU starting): the session goes on', async () => {
    const server = await serve(async (c) => {
      c.greet();
      c.greet();
      const caps = await c.nextRequest();
      c.reply(caps, {});
      c.reply(await c.nextRequest(), { status: 'running' });
    });
    const r = await runCli([server.path, 'query-status']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ status: 'running' });
  });

  it('after negotiation, or a different one: a protocol violation (exit 4)', async () => {
    for (const second of ['same', 'other'] as const) {
      const server = await serve(async (c) => {
        c.greet();
        if (second === 'other') c.send({ QMP: { version: { qemu: { micro: 0, minor: 0, major: 9 }, package: 'x' }, capabilities: [] } });
        const caps = await c.nextRequest();
        c.reply(caps, {});
        if (second === 'same') c.greet();
      });
      const r = await runCli([server.path, 'query-status', '--timeout', '5']);
      expect(r.code, second).toBe(4);
      expect(r.stderr, second).toMatch(/^qmpsh: the server sent a second greeting/);
    }
  });
});
