// Records the raw bytes QEMU sends in one scripted session, on a plain and on
// a pretty=on monitor, as fixtures for the framing tests:
//   node scripts/record-session.mjs test/fixtures
// The requests exercise events between replies (stop/cont), an id-less parse
// error, a uint64 value, strings with braces and escapes (HMP text), and a
// reply of some size (query-commands).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const outDir = process.argv[2] ?? 'test/fixtures';
const dir = mkdtempSync(join(tmpdir(), 'qmpsh-rec-'));
const plain = join(dir, 'plain.sock');
const pretty = join(dir, 'pretty.sock');
const qemu = spawn('qemu-system-x86_64', [
  '-M', 'none', '-nodefaults', '-display', 'none',
  '-qmp', `unix:${plain},server=on,wait=off`,
  '-chardev', `socket,id=p,path=${pretty},server=on,wait=off`,
  '-mon', 'chardev=p,mode=control,pretty=on',
], { stdio: 'inherit' });

const requests = [
  '{"execute": "qmp_capabilities", "id": 1}',
  '{"execute": "query-status", "id": 2}',
  '{"execute": "stop", "id": 3}',
  '{"execute": "cont", "id": 4}',
  '{"execute": "migrate-set-parameters", "arguments": {"max-bandwidth": 18446744073709551615}, "id": 5}',
  '{"execute": "query-migrate-parameters", "id": 6}',
  '{"execute": "human-monitor-command", "arguments": {"command-line": "help info"}, "id": 7}',
  '{"execute": "nosuch", "id": 8}',
  '{"execute": }',
  '{"execute": "query-commands", "id": 9}',
  '{"execute": "query-version", "id": 10}',
];

async function record(path) {
  while (!existsSync(path)) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  return new Promise((resolve, reject) => {
    const chunks = [];
    const s = net.createConnection({ path });
    s.on('error', reject);
    let sent = 0;
    let text = '';
    s.on('data', (d) => {
      chunks.push(d);
      text += d.toString();
      // One request at a time, each after the previous reply (or error) arrived.
      const replies = (text.match(/"(return|error)"/g) ?? []).length;
      if (replies >= sent && sent < requests.length) {
        s.write(requests[sent++] + '\n');
      } else if (sent === requests.length && /"QMP"/.test(text) && replies >= requests.length + 1) {
        s.end();
      }
    });
    s.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => { s.destroy(); }, 5000);
  });
}

try {
  writeFileSync(join(outDir, 'qemu-7.2-plain.bin'), await record(plain));
  writeFileSync(join(outDir, 'qemu-7.2-pretty.bin'), await record(pretty));
} finally {
  qemu.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
