// A tiny TCP server for the lab's external hosts: reads until the client half-closes, then answers
// "<source address the server saw> <bytes received>" and closes. Prints "listening" once ready.
// With "dual" (IPv6 labs) it also listens on [::], IPv6 only, so IPv4 clients still show as plain IPv4.
import { createServer, type Socket } from 'node:net';

const port = Number(process.argv[2] ?? '8080');
const dual = process.argv[3] === 'dual';

function answer(socket: Socket): void {
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  socket.on('end', () => {
    socket.end(`${socket.remoteAddress ?? 'unknown'} ${bytes}\n`);
  });
  socket.on('error', () => socket.destroy());
}

const servers = dual ? [createServer(answer), createServer(answer)] : [createServer(answer)];
let listening = 0;
const onListening = (): void => {
  if (++listening === servers.length) process.stdout.write('listening\n');
};
servers[0]?.listen(port, '0.0.0.0', onListening);
servers[1]?.listen({ port, host: '::', ipv6Only: true }, onListening);
process.on('SIGTERM', () => {
  for (const server of servers) server.close();
  process.exit(0);
});
