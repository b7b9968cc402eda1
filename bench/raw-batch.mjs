// The floor for a batch in Node: one connection, negotiate, then N commands in
// lock-step (each sent after the previous reply), each reply line printed.
//   node bench/raw-batch.mjs SOCK COMMAND N
import { connect } from 'node:net';

const [path, command, count] = process.argv.slice(2);
const total = Number(count);
const request = JSON.stringify({ execute: command });
const sock = connect(path);
sock.setEncoding('latin1');
let buf = '';
let replies = 0;
const out = [];

sock.on('data', (chunk) => {
  buf += chunk;
  let end;
  while ((end = buf.indexOf('\r\n')) !== -1) {
    const line = buf.slice(0, end);
    buf = buf.slice(end + 2);
    if (line.startsWith('{"QMP"')) sock.write('{"execute":"qmp_capabilities"}');
    else if (line.startsWith('{"return"') || line.startsWith('{"error"')) {
      if (replies++ > 0) out.push(line);
      if (replies > total) {
        process.stdout.write(out.join('\n') + '\n');
        sock.destroy();
        return;
      }
      sock.write(request);
    }
  }
});
sock.on('error', (err) => {
  console.error(`raw-batch: ${err.message}`);
  process.exitCode = 1;
});
