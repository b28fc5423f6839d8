// A long-running prober inside one namespace, so that many connections cost one process, not one each: reads
// lines "<id> <host> <port> <timeoutMs> [<bytes> <spreadMs>]" on stdin, opens a NEW TCP connection for each
// (concurrently), sends <bytes> bytes (one at a time spread over <spreadMs>, when given), half-closes, and
// prints one JSON line per attempt: {"id","startedAt","endedAt","source","bytes"} with what the server
// answered ("<source seen> <bytes received>"), or {…,"error","reason"}: `error` the short code (ECONNREFUSED),
// `reason` the message the lab reports ("connect ECONNREFUSED …", "timed out after … ms", "" for no answer).
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

type Outcome = { source: string; bytes: number } | { error: string; reason: string };

function attempt(id: string, host: string, port: number, timeoutMs: number, bytes: number, spreadMs: number) {
  const startedAt = Date.now();
  let answer = '';
  let settled = false;
  const socket = connect({ host, port });
  const settle = (outcome: Outcome): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    clearInterval(ticker);
    socket.destroy();
    process.stdout.write(`${JSON.stringify({ id, startedAt, endedAt: Date.now(), ...outcome })}\n`);
  };
  const timedOut = `timed out after ${timeoutMs} ms`;
  const timer = setTimeout(() => settle({ error: timedOut, reason: timedOut }), timeoutMs);
  let ticker: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    if (spreadMs > 0 && bytes > 0) ticker = trickle(socket, bytes, spreadMs);
    else pump(socket, bytes);
  });
  socket.on('data', (data: Buffer) => (answer += data.toString()));
  socket.on('end', () => {
    const [source = '', received = '0'] = answer.trim().split(' ');
    settle(source === '' ? { error: 'empty answer', reason: '' } : { source, bytes: Number(received) });
  });
  socket.on('error', (error: NodeJS.ErrnoException) =>
    settle({ error: error.code ?? error.message, reason: error.message }),
  );
}

/** One byte at a time over `spreadMs`: a connection that lives through whatever the test does meanwhile. */
function trickle(socket: Socket, total: number, spreadMs: number): NodeJS.Timeout {
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
  return ticker;
}

function pump(socket: Socket, total: number): void {
  const chunk = Buffer.alloc(Math.min(total, 64 * 1024), 0x61);
  let sent = 0;
  const more = (): void => {
    while (sent < total) {
      const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += piece.length;
      if (!socket.write(piece)) {
        socket.once('drain', more);
        return;
      }
    }
    socket.end();
  };
  more();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [id = '', host = '', port = '0', timeoutMs = '1000', bytes = '0', spreadMs = '0'] = line
    .trim()
    .split(' ');
  if (id !== '') attempt(id, host, Number(port), Number(timeoutMs), Number(bytes), Number(spreadMs));
});
process.stdin.on('end', () => setTimeout(() => process.exit(0), 10_000).unref());
process.stderr.write('probing\n');
