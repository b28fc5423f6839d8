// A tiny TCP server for the lab's external hosts: reads until the client half-closes, then answers
// "<source address the server saw> <bytes received>" and closes. Prints "listening" once ready.
import { createServer } from 'node:net';

const port = Number(process.argv[2] ?? '8080');
const server = createServer((socket) => {
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  socket.on('end', () => {
    socket.end(`${socket.remoteAddress ?? 'unknown'} ${bytes}\n`);
  });
  socket.on('error', () => socket.destroy());
});
server.listen(port, '0.0.0.0', () => {
  process.stdout.write('listening\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
