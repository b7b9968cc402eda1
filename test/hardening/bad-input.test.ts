/**
 * Malformed command lines, the same table in one-shot, batch and the REPL:
 * each gives a clear message and exit 2 (the REPL goes on), and nothing but
 * the session's own negotiation reaches the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeServer, type FakeServer } from '../helpers/fake-server.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

interface BadInput {
  name: string;
  /** As typed in a script or the REPL. */
  line: string;
  /** As a shell passes it to the one-shot form (the shell did the quoting). */
  argv: string[];
  message: RegExp;
  /** Control characters cannot be typed into a terminal line editor. */
  typeable?: boolean;
  extraArgs?: string[];
}

export const BAD_INPUTS: BadInput[] = [
  { name: 'unbalanced quote', line: 'query-status x="abc', argv: ['query-status', 'x="abc'], message: /quote|not valid JSON/ },
  { name: 'unbalanced brace in a value', line: 'query-status x={"a": 1}}', argv: ['query-status', 'x={"a": 1'], message: /not valid JSON/ },
  { name: 'unbalanced JSON request', line: '{"execute": "query-status"]}', argv: ['{"execute": "query-status"'], message: /not valid JSON|not closed/ },
  { name: '=value', line: 'query-status =1', argv: ['query-status', '=1'], message: /no key before '='/ },
  { name: 'key=', line: 'query-status key=', argv: ['query-status', 'key='], message: /'key=' has no value/ },
  { name: 'duplicate key', line: 'query-status a=1 a=2', argv: ['query-status', 'a=1', 'a=2'], message: /'a' is given twice/ },
  { name: 'leaf and parent', line: 'query-status a=1 a.b=2', argv: ['query-status', 'a=1', 'a.b=2'], message: /conflicts with 'a'/ },
  { name: 'empty dotted segment', line: 'query-status a..b=1', argv: ['query-status', 'a..b=1'], message: /between the dots/ },
  { name: 'word without =', line: 'query-status verbose', argv: ['query-status', 'verbose'], message: /not key=value/ },
  { name: 'bad command name', line: 'query-status!', argv: ['query-status!'], message: /not a QMP command name/ },
  { name: 'JSON request with an unknown member', line: '{"execute": "query-status", "bogus": 1}', argv: ['{"execute": "query-status", "bogus": 1}'], message: /not 'bogus'/ },
  { name: 'JSON request without execute', line: '{"exec": "query-status"}', argv: ['{"exec": "query-status"}'], message: /needs "execute"/ },
  { name: 'a number beyond a double (x=1e400)', line: 'query-status x=1e400', argv: ['query-status', 'x=1e400'], message: /'x': the number 1e400 is beyond what a double holds/ },
  { name: 'a number that would be 0 (x=1e-400)', line: 'query-status x=1e-400', argv: ['query-status', 'x=1e-400'], message: /'x': the number 1e-400 is too small for a double/ },
  { name: 'a number beyond a double in a JSON request', line: '{"execute": "query-status", "arguments": {"x": -1e400}}', argv: ['{"execute": "query-status", "arguments": {"x": -1e400}}'], message: /the JSON request: the number -1e400 is beyond/ },
  { name: 'control character in the command', line: 'query\u0001status', argv: ['query\u0001status'], message: /not a QMP command name/, typeable: false },
  { name: 'control character in a key', line: 'query-status k\u0007=1', argv: ['query-status', 'k\u0007=1'], message: /control character/, typeable: false },
  {
    name: 'huge value (over --max-message-size)',
    line: `query-status x=${'y'.repeat(4096)}`,
    argv: ['query-status', `x=${'y'.repeat(4096)}`],
    message: /over the limit of 2048/,
    extraArgs: ['--max-message-size', '2K'],
  },
];

let server: FakeServer;
/** qmpsh's own requests: negotiation, the REPL's start-up and its completion look-ups. */
const OWN = ['qmp_capabilities', 'query-commands', 'query-status', 'query-block', 'query-named-block-nodes', 'query-jobs'];
/** Requests other than qmpsh's own. */
const sentByUser = () =>
  server.requests.filter(
    (r) =>
      !(OWN.includes(r.execute) && !r.arguments) &&
      !(r.execute === 'qom-list' && r.arguments?.path === '/machine/peripheral'),
  );

beforeAll(async () => {
  server = await fakeServer(async (conn) => {
    await conn.negotiate();
    for (;;) {
      const req = await conn.nextRequest();
      conn.reply(req, req.execute === 'query-commands' ? [{ name: 'query-status' }] : { status: 'running' });
    }
  });
});
afterAll(async () => {
  await server?.close();
});

describe('bad input, one-shot: exit 2, one line, nothing sent', () => {
  it.each(BAD_INPUTS)('$name', async (bad) => {
    const before = server.requests.length;
    const r = await runCli([server.path, ...(bad.extraArgs ?? []), ...bad.argv]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(bad.message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.requests.slice(before).filter((q) => q.execute !== 'qmp_capabilities')).toEqual([]);
  });
});

describe('bad input, batch: exit 2 naming the line, nothing sent from it on', () => {
  it.each(BAD_INPUTS)('$name', async (bad) => {
    const before = server.requests.length;
    const r = await runCli([server.path, ...(bad.extraArgs ?? [])], { input: `# a script\n${bad.line}\nstop\n` });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^qmpsh: line 2: /);
    expect(r.stderr).toMatch(bad.message);
    expect(server.requests.slice(before).filter((q) => q.execute !== 'qmp_capabilities')).toEqual([]);
  });
});

describe('bad input, REPL: the message, and the REPL goes on', () => {
  let t: Tmux;
  let before = 0;
  beforeAll(async () => {
    requireTmux();
    t = Tmux.start([...CLI, server.path, '--max-message-size', '2K'], { XDG_STATE_HOME: '/nonexistent-qmpsh-test' });
    await t.waitFor(/fake\.sock \[running\]>$/m);
    before = sentByUser().length;
  });
  afterAll(() => t?.close());

  // Control characters cannot be typed: the line editor takes them as keys.
  it.each(BAD_INPUTS.filter((b) => b.typeable !== false))('$name', async (bad) => {
    t.keys('C-l');
    t.type(bad.line);
    t.keys('Enter');
    const screen = await t.waitFor(new RegExp(`${bad.message.source}[^\\n]*\\n(.*\\n)*.*\\[running\\]>$`, 'm'));
    expect(screen).toMatch(bad.message);
    expect(sentByUser().slice(before)).toEqual([]);
  });

  it('still runs commands afterwards, and Ctrl-D exits 0', async () => {
    t.keys('C-l');
    t.type('query-status');
    t.keys('Enter');
    await t.waitFor(/"status": "running"/);
    t.keys('C-d');
    expect(await t.exitCode()).toBe(0);
  });
});
