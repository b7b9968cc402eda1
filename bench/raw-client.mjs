// The floor for a one-shot QMP command in Node: connect, negotiate, send one
// command, print its reply line, leave. No parsing, no options, no timeouts,
// so anything qmpsh costs beyond this is qmpsh's own.
//   node bench/raw-client.mjs SOCK COMMAND
import { connect } from 'node:net';

const [path, command] = process.argv.slice(2);
const sock = connect(path);
sock.setEncoding('latin1'); // QMP output is ASCII; skip UTF-8 decoding work
let buf = '';
let replies = 0;

sock.on('data', (chunk) => {
  buf += chunk; // a big reply (query-qmp-schema, ~200 KB) arrives over many reads
  let end;
  while ((end = buf.indexOf('\r\n')) !== -1) {
    const line = buf.slice(0, end);
    buf = buf.slice(end + 2);
    if (line.startsWith('{"QMP"')) {
      sock.write('{"execute":"qmp_capabilities"}');
    } else if (line.startsWith('{"return"') || line.startsWith('{"error"')) {
      // Requests carry no id, so a reply's only member is "return" or "error":
      // a prefix test tells it from an event. (Testing for '"event"' would not:
      // the schema itself contains "meta-type": "event".)
      if (++replies === 1) {
        sock.write(JSON.stringify({ execute: command }));
      } else {
        process.stdout.write(line + '\n');
        sock.destroy();
        return;
      }
    }
  }
});
sock.on('error', (err) => {
  console.error(`raw-client: ${err.message}`);
  process.exitCode = 1;
});
sock.on('close', () => {
  if (replies < 2) process.exitCode = 1;
});
