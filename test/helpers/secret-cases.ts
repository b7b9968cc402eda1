/**
 * The secrets table's cases: each is a REPL line (what would go to the
 * history file) and the message it puts on the wire (what --log and -v
 * show). Used by test/unit/secrets.test.ts (both uses of the one table) and
 * test/hardening/secrets.test.ts (the CLI, end to end).
 */

export interface SecretCase {
  name: string;
  /** As typed in the REPL (and, unless replOnly, in a batch script). */
  line: string;
  /** The REPL's state when it is typed. */
  context?: { hmpMode?: boolean; inTransaction?: boolean };
  /** What is sent for it (typed by look, as without a schema). */
  message: object;
  /** The secret: it must not appear once masked. */
  secret: string;
  /** Only the REPL has this syntax (`.hmp`, HMP mode, transactions). */
  replOnly?: boolean;
}

const qmp = (execute: string, args: object) => ({ execute, arguments: args });
const hmp = (commandLine: string) => qmp('human-monitor-command', { 'command-line': commandLine });

export const SECRET_CASES: SecretCase[] = [
  {
    name: 'set_password as key=value',
    line: 'set_password protocol=vnc password=hunter2',
    message: qmp('set_password', { protocol: 'vnc', password: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: 'set_password as JSON',
    line: '{"execute": "set_password", "arguments": {"protocol": "vnc", "password": "hunter2"}}',
    message: qmp('set_password', { protocol: 'vnc', password: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: 'change-vnc-password',
    line: 'change-vnc-password password=hunter2',
    message: qmp('change-vnc-password', { password: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: 'object-add secret as JSON',
    line: '{"execute": "object-add", "arguments": {"qom-type": "secret", "id": "s0", "data": "hunter2"}}',
    message: qmp('object-add', { 'qom-type': 'secret', id: 's0', data: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: "object-add secret, quoted: qom-type='secret' data='...'",
    line: "object-add qom-type='secret' id=s0 data='hunter2'",
    message: qmp('object-add', { 'qom-type': 'secret', id: 's0', data: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: 'object-add secret, data as a JSON-quoted string',
    line: `object-add "qom-type=secret" id=s0 data='"hunter2"'`,
    message: qmp('object-add', { 'qom-type': 'secret', id: 's0', data: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: 'HMP set_password',
    line: '!set_password vnc hunter2',
    message: hmp('set_password vnc hunter2'),
    secret: 'hunter2',
  },
  {
    name: 'HMP set_password, a quoted password with a blank, then the action',
    line: '!set_password vnc "hunter 2" keep',
    message: hmp('set_password vnc "hunter 2" keep'),
    secret: 'hunter 2',
  },
  {
    name: 'HMP object_add secret',
    line: '!object_add secret,id=s0,data=hunter2',
    message: hmp('object_add secret,id=s0,data=hunter2'),
    secret: 'hunter2',
  },
  {
    name: 'HMP object_add qom-type=secret, data with an escaped comma',
    line: '!object_add qom-type=secret,data=hun,,ter2,id=s0',
    message: hmp('object_add qom-type=secret,data=hun,,ter2,id=s0'),
    secret: 'ter2',
  },
  {
    name: 'HMP object_add secret as JSON',
    line: '!object_add {"qom-type": "secret", "id": "s0", "data": "hunter2"}',
    message: hmp('object_add {"qom-type": "secret", "id": "s0", "data": "hunter2"}'),
    secret: 'hunter2',
  },
  {
    name: 'HMP change vnc password',
    line: '!change vnc password hunter2',
    message: hmp('change vnc password hunter2'),
    secret: 'hunter2',
  },
  {
    name: 'HMP change vnc passwd, in HMP mode',
    line: 'change vnc passwd hunter2',
    context: { hmpMode: true },
    message: hmp('change vnc passwd hunter2'),
    secret: 'hunter2',
    replOnly: true,
  },
  {
    name: 'HMP through .hmp',
    line: '.hmp set_password spice hunter2',
    message: hmp('set_password spice hunter2'),
    secret: 'hunter2',
    replOnly: true,
  },
  {
    name: 'credentials in a url',
    line: 'blockdev-add driver=http node-name=h0 url=http://admin:hunter2@example.com/disk.img',
    message: qmp('blockdev-add', { driver: 'http', 'node-name': 'h0', url: 'http://admin:hunter2@example.com/disk.img' }),
    secret: 'hunter2',
  },
  {
    name: 'credentials in a url with an @ in the password',
    line: 'blockdev-add driver=https node-name=h0 url=https://admin:hun@ter2@example.com/disk.img',
    message: qmp('blockdev-add', { driver: 'https', 'node-name': 'h0', url: 'https://admin:hun@ter2@example.com/disk.img' }),
    secret: 'ter2',
  },
  {
    name: 'credentials in a json: filename',
    line: `blockdev-add driver=raw node-name=r0 file.driver=file 'file.filename=json:{"url": "ftp://u:hunter2@h/x"}'`,
    message: qmp('blockdev-add', { driver: 'raw', 'node-name': 'r0', file: { driver: 'file', filename: 'json:{"url": "ftp://u:hunter2@h/x"}' } }),
    secret: 'hunter2',
  },
  {
    name: 'credentials in a file value',
    line: 'blockdev-add driver=raw node-name=r0 file=nbd://u:hunter2@h/x',
    message: qmp('blockdev-add', { driver: 'raw', 'node-name': 'r0', file: 'nbd://u:hunter2@h/x' }),
    secret: 'hunter2',
  },
  {
    name: 'HMP drive_add with a url',
    line: '!drive_add 0 if=none,id=d0,file=http://u:hunter2@h/x.img',
    message: hmp('drive_add 0 if=none,id=d0,file=http://u:hunter2@h/x.img'),
    secret: 'hunter2',
  },
  {
    name: "HMP drive_add with iSCSI's user%password",
    line: '!drive_add 0 if=none,id=d0,file=iscsi://u%hunter2@h/iqn.2001-04.com.example/1',
    message: hmp('drive_add 0 if=none,id=d0,file=iscsi://u%hunter2@h/iqn.2001-04.com.example/1'),
    secret: 'hunter2',
  },
  {
    name: 'HMP drive_add with a password option',
    line: '!drive_add 0 if=none,id=d0,file.password=hunter2',
    message: hmp('drive_add 0 if=none,id=d0,file.password=hunter2'),
    secret: 'hunter2',
  },
  {
    name: 'qom-set of a secret object under /objects/',
    line: 'qom-set path=/objects/sec0 property=keyid value=hunter2',
    message: qmp('qom-set', { path: '/objects/sec0', property: 'keyid', value: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: 'qom-set of data, by a partial path',
    line: 'qom-set path=sec0 property=data value=hunter2',
    message: qmp('qom-set', { path: 'sec0', property: 'data', value: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: 'qom-set under //objects/ (QEMU resolves it as /objects/)',
    line: 'qom-set path=//objects/s1 property=keyid value=hunter2',
    message: qmp('qom-set', { path: '//objects/s1', property: 'keyid', value: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: 'qom-set by a partial path (it may be /objects/s1), any property',
    line: 'qom-set path=s1 property=keyid value=hunter2',
    message: qmp('qom-set', { path: 's1', property: 'keyid', value: 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: 'HMP qom-set under //objects/',
    line: '!qom-set //objects/s1 keyid hunter2',
    message: hmp('qom-set //objects/s1 keyid hunter2'),
    secret: 'hunter2',
  },
  {
    name: 'HMP qom-set',
    line: '!qom-set /objects/sec0 data hunter2',
    message: hmp('qom-set /objects/sec0 data hunter2'),
    secret: 'hunter2',
  },
  {
    name: 'guest-exec input-data',
    line: 'guest-exec path=/bin/cat input-data=aHVudGVyMg==',
    message: qmp('guest-exec', { path: '/bin/cat', 'input-data': 'aHVudGVyMg==' }),
    secret: 'aHVudGVyMg==',
  },
  {
    name: 'guest-file-write buf-b64',
    line: 'guest-file-write handle=1 buf-b64=aHVudGVyMg==',
    message: qmp('guest-file-write', { handle: 1, 'buf-b64': 'aHVudGVyMg==' }),
    secret: 'aHVudGVyMg==',
  },
  {
    name: 'guest-set-user-password (a member named password)',
    line: 'guest-set-user-password username=root password=aHVudGVyMg== crypted=false',
    message: qmp('guest-set-user-password', { username: 'root', password: 'aHVudGVyMg==', crypted: false }),
    secret: 'aHVudGVyMg==',
  },
  {
    name: 'a nested member named like a secret',
    line: 'blockdev-add driver=luks node-name=l0 file=f0 key-secret=hunter2',
    message: qmp('blockdev-add', { driver: 'luks', 'node-name': 'l0', file: 'f0', 'key-secret': 'hunter2' }),
    secret: 'hunter2',
  },
  {
    name: "a transaction's action with a url",
    line: 'blockdev-snapshot-sync device=d0 snapshot-file=http://u:hunter2@h/s.img',
    context: { inTransaction: true },
    message: qmp('transaction', { actions: [{ type: 'blockdev-snapshot-sync', data: { device: 'd0', 'snapshot-file': 'http://u:hunter2@h/s.img' } }] }),
    secret: 'hunter2',
    replOnly: true,
  },
];

/**
 * Requests whose reply is a secret (part 4 of the table): the reply,
 * matched to the request by id, is masked whole in --log and -v. The
 * request itself holds nothing secret (its line is kept in the history).
 */
export interface SecretReplyCase {
  name: string;
  /** As typed (one-shot words after the target, or a script line). */
  line: string;
  message: object;
  /** What the server answers: the secret, in clear. */
  reply: unknown;
  secret: string;
}

export const SECRET_REPLY_CASES: SecretReplyCase[] = [
  {
    name: "qom-get of a secret object's data",
    line: 'qom-get path=/objects/sx property=data',
    message: qmp('qom-get', { path: '/objects/sx', property: 'data' }),
    reply: 'S3cr3tPW',
    secret: 'S3cr3tPW',
  },
  {
    name: 'qom-get of any property under //objects/',
    line: 'qom-get path=//objects/sx property=keyid',
    message: qmp('qom-get', { path: '//objects/sx', property: 'keyid' }),
    reply: 'S3cr3tPW',
    secret: 'S3cr3tPW',
  },
  {
    name: 'qom-get by a partial path',
    line: 'qom-get path=sx property=iv',
    message: qmp('qom-get', { path: 'sx', property: 'iv' }),
    reply: 'S3cr3tPW',
    secret: 'S3cr3tPW',
  },
  {
    name: 'qom-get of a property named like a password',
    line: 'qom-get path=/machine/peripheral/vnc0 property=password',
    message: qmp('qom-get', { path: '/machine/peripheral/vnc0', property: 'password' }),
    reply: 'S3cr3tPW',
    secret: 'S3cr3tPW',
  },
  {
    name: 'HMP qom-get of a secret object',
    line: '!qom-get /objects/sx data',
    message: hmp('qom-get /objects/sx data'),
    reply: '"S3cr3tPW"\r\n',
    secret: 'S3cr3tPW',
  },
];

/** Replies to these are shown as received. */
export const PLAIN_REPLY_CASES: Array<{ message: object; reply: unknown }> = [
  { message: qmp('qom-get', { path: '/machine', property: 'type' }), reply: 'pc-i440fx-7.2-machine' },
  { message: qmp('qom-get', { path: '/machine/peripheral/nic0', property: 'mac' }), reply: '52:54:00:12:34:56' },
  { message: hmp('qom-get /machine type'), reply: '"pc-i440fx-7.2-machine"\r\n' },
  { message: hmp('info status'), reply: 'VM status: running\r\n' },
  { message: { execute: 'query-status' }, reply: { status: 'running' } },
];

/** Lines with nothing secret: saved, and their messages shown unchanged. */
export const PLAIN_CASES: Array<{ line: string; context?: SecretCase['context']; message?: object }> = [
  { line: 'query-status', message: { execute: 'query-status' } },
  { line: 'object-add qom-type=memory-backend-ram id=m0 size=1048576', message: qmp('object-add', { 'qom-type': 'memory-backend-ram', id: 'm0', size: 1048576 }) },
  { line: 'qom-set path=/machine/peripheral/nic0 property=x-prop value=1', message: qmp('qom-set', { path: '/machine/peripheral/nic0', property: 'x-prop', value: 1 }) },
  { line: 'blockdev-add driver=http node-name=h0 url=http://example.com/x', message: qmp('blockdev-add', { driver: 'http', 'node-name': 'h0', url: 'http://example.com/x' }) },
  { line: 'blockdev-add driver=ssh node-name=s0 path=/x server.host=h user=me', message: qmp('blockdev-add', { driver: 'ssh', 'node-name': 's0', path: '/x', server: { host: 'h' }, user: 'me' }) },
  { line: '!info status', message: hmp('info status') },
  { line: '!drive_add 0 if=none,id=d0,file=/tmp/x.img', message: hmp('drive_add 0 if=none,id=d0,file=/tmp/x.img') },
  { line: '!change ide1-cd0 /tmp/x.iso', message: hmp('change ide1-cd0 /tmp/x.iso') },
  { line: '!object_add memory-backend-ram,id=m0,size=1M', message: hmp('object_add memory-backend-ram,id=m0,size=1M') },
  { line: '!qom-set /machine/peripheral/nic0 x-prop 1', message: hmp('qom-set /machine/peripheral/nic0 x-prop 1') },
  { line: 'info status', context: { hmpMode: true }, message: hmp('info status') },
  { line: 'help set_password' },
  { line: '.events off' },
];
