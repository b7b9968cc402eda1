/**
 * Older QEMUs whose schema says less than their commands take: netdev_add on
 * 4.2 (its schema: type and id; the rest are -netdev options) and object-add
 * on 5.x (qom-type, id, props; the object's properties at the top level too).
 * No QEMU that old is installed here, so a scripted peer greets as one with
 * those commands' schema (as QEMU 4.2 and 5.2 give them, qapi/net.json and
 * qapi/qom.json of those releases) and records what it is sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeServer, type FakeConnection, type FakeServer } from '../helpers/fake-server.js';
import { runCli } from '../helpers/run-cli.js';

type Entry = Record<string, unknown>;
const SCHEMA: Entry[] = [
  { name: 'str', 'meta-type': 'builtin', 'json-type': 'string' },
  { name: 'any', 'meta-type': 'builtin', 'json-type': 'value' },
  { name: '0', 'meta-type': 'object', members: [] },
  { name: 'object-add', 'meta-type': 'command', 'arg-type': '1', 'ret-type': '0' },
  { name: '1', 'meta-type': 'object', members: [{ name: 'qom-type', type: 'str' }, { name: 'id', type: 'str' }, { name: 'props', type: 'any', default: null }] },
  { name: 'netdev_add', 'meta-type': 'command', 'arg-type': '2', 'ret-type': '0' },
  { name: '2', 'meta-type': 'object', members: [{ name: 'type', type: 'str' }, { name: 'id', type: 'str' }] },
  { name: 'qom-list-properties', 'meta-type': 'command', 'arg-type': '3', 'ret-type': '[4]' },
  { name: '3', 'meta-type': 'object', members: [{ name: 'typename', type: 'str' }] },
  { name: '[4]', 'meta-type': 'array', 'element-type': '4' },
  { name: '4', 'meta-type': 'object', members: [{ name: 'name', type: 'str' }, { name: 'type', type: 'str' }] },
];
const BACKEND_PROPS = [
  { name: 'size', type: 'size' },
  { name: 'share', type: 'bool' },
  { name: 'mem-path', type: 'string' },
  { name: 'align', type: 'size' },
  { name: 'host-nodes', type: 'int' },
];

let server: FakeServer;
let home: string;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'qmpsh-legacy-'));
  server = await fakeServer(
    async (c: FakeConnection) => {
      c.send({ QMP: { version: { qemu: { major: 5, minor: 2, micro: 0 }, package: 'legacy-test' }, capabilities: [] } });
      for (;;) {
        const req = await c.nextRequest();
        if (req.execute === 'qom-list-properties') {
          if (req.arguments?.typename === 'memory-backend-file') c.reply(req, BACKEND_PROPS);
          else c.send({ error: { class: 'GenericError', desc: `Class '${String(req.arguments?.typename)}' not found` }, id: req.id });
        } else c.reply(req, {});
      }
    },
    { schema: SCHEMA },
  );
});
afterAll(async () => {
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli([server.path, ...args], { env: { XDG_CACHE_HOME: home } });
const lastSent = (command: string) => [...server.requests].reverse().find((r) => r.execute === command);

describe('object-add on 5.x: properties at the top level, typed by qom-list-properties', () => {
  it('size with a suffix, a bool, a path: each sent as the object wants it', async () => {
    const r = await cli('object-add', 'qom-type=memory-backend-file', 'id=mem1', 'size=1G', 'share=on', 'mem-path=/dev/shm/x', 'align=2M');
    expect(r.code, r.stderr).toBe(0);
    expect(lastSent('object-add')?.arguments).toEqual({ 'qom-type': 'memory-backend-file', id: 'mem1', size: 1073741824, share: true, 'mem-path': '/dev/shm/x', align: 2097152 });
  });

  it('a misspelt property, a bad bool, a leading zero, an unknown type: exit 2, nothing sent', async () => {
    const before = server.requests.filter((q) => q.execute === 'object-add').length;
    for (const [args, message] of [
      [['sise=1G'], /^qmpsh: 'memory-backend-file' has no property 'sise': did you mean size\?.*qom-list-properties typename=memory-backend-file lists them/m],
      [['share=perhaps'], /property 'share' is a bool/],
      [['host-nodes=010'], /leading zeros/],
      [['size=1.3K'], /not a whole number of bytes/],
    ] as const) {
      const r = await cli('object-add', 'qom-type=memory-backend-file', 'id=mem2', ...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const unknown = await cli('object-add', 'qom-type=no-such-object', 'id=x', 'size=1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^qmpsh: object-add: no object type 'no-such-object' here \(Class 'no-such-object' not found\)$/m);
    expect(server.requests.filter((q) => q.execute === 'object-add').length).toBe(before);
  });

  it('props= (the schema\'s own member) still works', async () => {
    const r = await cli('object-add', 'qom-type=memory-backend-file', 'id=mem3', 'props:={"size": 1048576}');
    expect(r.code, r.stderr).toBe(0);
    expect(lastSent('object-add')?.arguments).toEqual({ 'qom-type': 'memory-backend-file', id: 'mem3', props: { size: 1048576 } });
  });
});

describe('netdev_add on 4.2: -netdev options at the top level, as text', () => {
  it('hostfwd, a port number and a bool reach QEMU as -netdev option text', async () => {
    const r = await cli('netdev_add', 'type=user', 'id=n1', 'hostfwd=tcp::2222-:22', 'ipv6=off', 'dnssearch=example.org');
    expect(r.code, r.stderr).toBe(0);
    expect(lastSent('netdev_add')?.arguments).toEqual({ type: 'user', id: 'n1', hostfwd: 'tcp::2222-:22', ipv6: 'off', dnssearch: 'example.org' });
  });

  it('still needs its own arguments first', async () => {
    const r = await cli('netdev_add', 'id=n2', 'hostfwd=tcp::2222-:22');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing argument type|needs type=NAME first/);
  });
});
