// A long-running prober inside one namespace, so that many connections cost one process, not one each: reads
// lines "<id> <host> <port> <timeoutMs>" on stdin, opens a NEW TCP connection for each (concurrently), and
// prints one JSON line per attempt: {"id","startedAt","endedAt","source"} or {…,"error"}. The server answers
// "<source seen> <bytes>"; the prober sends nothing and half-closes at once.
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

function attempt(id: string, host: string, port: number, timeoutMs: number): void {
  const startedAt = Date.now();
  let answer = '';
  let settled = false;
  const socket = connect({ host, port });
  const settle = (outcome: { source: string } | { error: string }): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    process.stdout.write(`${JSON.stringify({ id, startedAt, endedAt: Date.now(), ...outcome })}\n`);
  };
  const timer = setTimeout(() => settle({ error: `timed out after ${timeoutMs} ms` }), timeoutMs);
  socket.on('connect', () => socket.end());
  socket.on('data', (data: Buffer) => (answer += data.toString()));
  socket.on('end', () => {
    const source = answer.trim().split(' ')[0] ?? '';
    settle(source === '' ? { error: 'empty answer' } : { source });
  });
  socket.on('error', (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }));
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [id = '', host = '', port = '0', timeoutMs = '1000'] = line.trim().split(' ');
  if (id !== '') attempt(id, host, Number(port), Number(timeoutMs));
});
process.stdin.on('end', () => setTimeout(() => process.exit(0), 10_000).unref());
process.stderr.write('probing\n');
