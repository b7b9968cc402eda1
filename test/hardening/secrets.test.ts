/**
 * The secrets table end to end: every case through the CLI, with --log and
 * -v (nothing secret in the log file or on stderr), and through the REPL in
 * a real terminal (nothing secret in the history file; plain lines kept).
 * Replies that are secrets (qom-get of a secret object's data) are checked
 * with a scripted server and with a real QEMU's secret object.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useFakeServers, type FakeConnection } from '../helpers/fake-server.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { PLAIN_CASES, SECRET_CASES, SECRET_REPLY_CASES } from '../helpers/secret-cases.js';
import { startQemu } from '../helpers/qemu.js';
import { requireTmux, Tmux } from '../helpers/tmux.js';

const serve = useFakeServers(afterEach);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qmpsh-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The secret a qom-get is answered with, in clear, as QEMU does for a secret object's data. */
const READ_SECRET = 'S3cr3tPW';

/** Answers everything: HMP with empty text, QMP with {}, as QEMU would on success; qom-get (QMP and HMP) with READ_SECRET. */
async function answerAll(c: FakeConnection): Promise<void> {
  await c.negotiate();
  for (;;) {
    const req = await c.nextRequest();
    const hmpLine = req.execute === 'human-monitor-command' ? String(req.arguments?.['command-line']) : undefined;
    c.reply(
      req,
      hmpLine !== undefined
        ? hmpLine.startsWith('qom-get') ? `"${READ_SECRET}"\r\n` : ''
        : req.execute === 'qom-get' ? READ_SECRET : req.execute === 'query-status' ? { status: 'running' } : {},
    );
  }
}

describe('--log and -v mask every case of the table', () => {
  const scripted = SECRET_CASES.filter((c) => !c.replOnly);

  it('in a script: the log file and stderr hold no secret, and every command was sent', async () => {
    const server = await serve(answerAll);
    const log = join(dir, 'wire.log');
    const r = await runCli([server.path, '--log', log, '-v'], { input: scripted.map((c) => c.line).join('\n') });
    expect(r.stderr).not.toMatch(/qmpsh: (?!warning)/);
    expect(r.code).toBe(0);
    const seen = readFileSync(log, 'utf8') + r.stderr;
    for (const c of scripted) expect(seen, c.name).not.toContain(c.secret);
    expect(server.requests.length).toBe(1 + scripted.length);
    // What went to QEMU is what was typed: masking is for display only.
    expect(JSON.stringify(server.requests)).toContain('hunter2');
  });

  it.each(scripted.filter((c) => c.line.startsWith('!')))('--hmp: $name', async (c) => {
    const server = await serve(answerAll);
    const log = join(dir, 'hmp.log');
    const r = await runCli([server.path, '--log', log, '-v', '--hmp', c.line.slice(1)]);
    expect(r.code).toBe(0);
    expect(readFileSync(log, 'utf8') + r.stderr).not.toContain(c.secret);
  });

  it('--show-secrets shows them', async () => {
    const server = await serve(answerAll);
    const r = await runCli([server.path, '-v', '--show-secrets', '--hmp', 'change vnc password hunter2']);
    expect(r.stderr).toContain('change vnc password hunter2');
  });
});

describe('--log and -v mask replies that are secrets, matched to their request by id', () => {
  it('in a script: the secret is on stdout (data), not in the log or on stderr', async () => {
    const server = await serve(answerAll);
    const log = join(dir, 'replies.log');
    const lines = [...SECRET_REPLY_CASES.map((c) => c.line), 'query-status'];
    const r = await runCli([server.path, '--log', log, '-v'], { input: lines.join('\n') });
    expect(r.code, r.stderr).toBe(0);
    const seen = readFileSync(log, 'utf8') + r.stderr;
    expect(seen).not.toContain(READ_SECRET);
    expect(r.stderr).toContain('<- {"return":"********"');
    // Only the replies to those requests: query-status's is shown.
    expect(r.stderr).toContain('{"status":"running"}');
    expect(r.stdout.split(READ_SECRET).length - 1).toBe(SECRET_REPLY_CASES.length);
  });

  it.each(SECRET_REPLY_CASES)('one-shot: $name', async (c) => {
    const server = await serve(answerAll);
    const log = join(dir, 'reply.log');
    const args = c.line.startsWith('!') ? ['--hmp', c.line.slice(1)] : c.line.split(' ');
    const r = await runCli([server.path, '--log', log, '-v', ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(log, 'utf8') + r.stderr).not.toContain(c.secret);
    expect(r.stdout).toContain(c.secret);
  });

  it('--show-secrets shows them', async () => {
    const server = await serve(answerAll);
    const r = await runCli([server.path, '-v', '--show-secrets', 'qom-get', 'path=/objects/sx', 'property=data']);
    expect(r.stderr).toContain(`<- {"return":"${READ_SECRET}"`);
  });

  it("a real QEMU's secret object: qom-get (QMP and HMP) shows it on stdout only", async () => {
    const qemu = await startQemu();
    try {
      const add = await runCli([qemu.sock, 'object-add', 'qom-type=secret', 'id=sx', 'data=S3cr3tPW']);
      expect(add.code, add.stderr).toBe(0);
      const log = join(dir, 'qemu.log');
      for (const args of [
        ['qom-get', 'path=/objects/sx', 'property=data'],
        ['qom-get', 'path=//objects/sx', 'property=data'],
        ['qom-get', 'path=sx', 'property=data'],
        ['--hmp', 'qom-get /objects/sx data'],
      ]) {
        const r = await runCli([qemu.sock, '-v', '--log', log, ...args]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout, args.join(' ')).toContain('S3cr3tPW');
        expect(r.stderr, args.join(' ')).not.toContain('S3cr3tPW');
        expect(r.stderr, args.join(' ')).toMatch(/<- \{"return":"\*{8}"/);
      }
      expect(readFileSync(log, 'utf8')).not.toContain('S3cr3tPW');
      // What is not a secret is still shown.
      const plain = await runCli([qemu.sock, '-v', 'qom-get', 'path=/machine', 'property=type']);
      expect(plain.stderr).toMatch(/<- \{"return":"[a-z0-9.-]+-machine"/);
    } finally {
      await qemu.stop();
    }
  });
});

describe('the REPL keeps every case of the table out of its history file', () => {
  it('and keeps the plain lines', async () => {
    requireTmux();
    const server = await serve(answerAll);
    const state = mkdtempSync(join(dir, 'state-'));
    const t = Tmux.start([...CLI, server.path], { XDG_STATE_HOME: state, NO_COLOR: '1' }, 250, 50);
    // Lines typed while one runs are queued and run in order: the last one's answer means all ran.
    const typeLine = async (line: string) => {
      t.type(line);
      t.keys('Enter');
    };
    try {
      await t.waitFor(/\[running\]>$/m);
      const secretCases = SECRET_CASES.filter((c) => !c.context);
      for (const c of secretCases) await typeLine(c.line);
      await typeLine('query-status');
      // HMP mode, and a transaction.
      await typeLine('.hmp');
      for (const c of SECRET_CASES.filter((x) => x.context?.hmpMode)) await typeLine(c.line);
      await typeLine('info status');
      await typeLine('.qmp');
      await typeLine('transaction(');
      for (const c of SECRET_CASES.filter((x) => x.context?.inTransaction)) await typeLine(c.line);
      await typeLine('blockdev-snapshot-sync device=d0 snapshot-file=/tmp/s.img');
      await typeLine(')');
      await typeLine('!info status');
      await typeLine('.events off');
      await t.waitFor(/events hidden/);
      t.keys('C-d');
      expect(await t.exitCode()).toBe(0);
    } finally {
      t.close();
    }
    const history = readFileSync(join(state, 'qmpsh', 'history'), 'utf8');
    for (const c of SECRET_CASES) expect(history, c.name).not.toContain(c.secret);
    expect(history.split('\n').filter(Boolean)).toEqual([
      'query-status',
      '.hmp',
      'info status',
      '.qmp',
      'transaction(',
      'blockdev-snapshot-sync device=d0 snapshot-file=/tmp/s.img',
      ')',
      '!info status',
      '.events off',
    ]);
    expect(PLAIN_CASES.length).toBeGreaterThan(0);
  });
});
