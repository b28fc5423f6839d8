// The lab's client, run inside a pod namespace: connects, sends <bytes> bytes, half-closes and prints the
// server's answer ("<source seen> <bytes received>"). Exits 1 with the reason on error or timeout. With
// <spread ms>, the bytes go one at a time spread over that long: one connection that lives through whatever
// the test does meanwhile (an agent restart), and whose every byte must arrive.
import { connect } from 'node:net';

const [host = '', portText = '', bytesText = '0', timeoutText = '3000', spreadText = '0'] =
  process.argv.slice(2);
const socket = connect({ host, port: Number(portText) });
const timer = setTimeout(() => fail(`timed out after ${timeoutText} ms`), Number(timeoutText));
let answer = '';

socket.on('connect', () => {
  const total = Number(bytesText);
  const spreadMs = Number(spreadText);
  if (spreadMs > 0 && total > 0) {
    let sent = 0;
    const ticker = setInterval(
      () => {
        socket.write('a');
        if (++sent === total) {
          clearInterval(ticker);
          socket.end();
        }
      },
      Math.max(1, spreadMs / total),
    );
    return;
  }
  const chunk = Buffer.alloc(Math.min(total, 64 * 1024), 0x61);
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += piece.length;
      if (!socket.write(piece)) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
});
socket.on('data', (data: Buffer) => {
  answer += data.toString();
});
socket.on('end', () => {
  clearTimeout(timer);
  process.stdout.write(answer);
  process.exit(answer.trim() === '' ? 1 : 0);
});
socket.on('error', (error) => fail(error.message));

function fail(reason: string): never {
  process.stderr.write(`${reason}\n`);
  process.exit(1);
}
