// The SNAT test's peer, run inside the lab's namespaces:
//   serve PORT ADDRESS...                   TCP and UDP on each ADDRESS:PORT (IPv4 or IPv6); prints
//                                           "listening" once ready. Each message gets back "<peer address> <peer
//                                           port> <message>". UDP is bound to ADDRESS so that answers leave from
//                                           it, not the route's source.
//   tcp|udp HOST PORT LOCAL_PORT MESSAGE TIMEOUT_MS
//                                           sends MESSAGE from LOCAL_PORT (0: any), prints the answer. Exits 1
//                                           with the reason on error or timeout.
import { createSocket } from 'node:dgram';
import { connect, createServer, isIPv6 } from 'node:net';

const [mode = '', host = '', portText = '', localPortText = '0', message = '', timeoutText = '3000'] =
  process.argv.slice(2);

function fail(reason: string): never {
  process.stderr.write(`${reason}\n`);
  process.exit(1);
}

if (mode === 'serve') {
  const port = Number(host);
  const addresses = process.argv.slice(4);
  let ready = 0;
  const listening = () => {
    if (++ready === 2 * addresses.length) process.stdout.write('listening\n');
  };
  for (const address of addresses) {
    createServer((socket) => {
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes('\n'))
          socket.end(`${socket.remoteAddress} ${socket.remotePort} ${received.trim()}\n`);
      });
      socket.on('error', () => socket.destroy());
    }).listen(port, address, listening);
    const udp = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    udp.on('message', (data, peer) => {
      udp.send(`${peer.address} ${peer.port} ${data.toString().trim()}\n`, peer.port, peer.address);
    });
    udp.bind(port, address, listening);
  }
} else {
  const port = Number(portText);
  const localPort = Number(localPortText);
  const timer = setTimeout(() => fail(`timed out after ${timeoutText} ms`), Number(timeoutText));
  const done = (answer: string) => {
    clearTimeout(timer);
    process.stdout.write(answer);
    process.exit(answer.trim() === '' ? 1 : 0);
  };
  if (mode === 'tcp') {
    const socket = connect({ host, port, ...(localPort > 0 ? { localPort } : {}) });
    let answer = '';
    socket.on('connect', () => socket.write(`${message}\n`));
    socket.on('data', (data: Buffer) => (answer += data.toString()));
    socket.on('end', () => done(answer));
    socket.on('error', (error) => fail(error.message));
  } else if (mode === 'udp') {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    socket.on('message', (data) => done(data.toString()));
    socket.on('error', (error) => fail(error.message));
    socket.bind(localPort, () => socket.send(`${message}\n`, port, host));
  } else {
    fail(`unknown mode "${mode}"`);
  }
}
