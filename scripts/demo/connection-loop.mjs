// A client loop run inside a pod namespace: every <interval> ms it opens a NEW TCP connection to the lab's
// source-reporting server (which answers "<source seen> <bytes>") and prints one JSON line per attempt:
//   {"startedAt":<epoch ms>,"endedAt":<epoch ms>,"source":"192.0.2.100"}   or   {…,"error":"ECONNREFUSED"}
// Attempts overlap (one starts every interval whatever the previous ones do), so a hung connection during an
// outage does not stop the loop from sampling. SIGTERM stops new attempts; the loop exits when the last ends.
//
//   node connection-loop.mjs <host> <port> [intervalMs=50] [timeoutMs=1000]
import { connect } from 'node:net';

const [host = '', portText = '', intervalText = '50', timeoutText = '1000'] = process.argv.slice(2);
const port = Number(portText);
const intervalMs = Number(intervalText);
const timeoutMs = Number(timeoutText);
if (!host || !Number.isInteger(port) || !(intervalMs > 0) || !(timeoutMs > 0)) {
  process.stderr.write('usage: connection-loop.mjs <host> <port> [intervalMs] [timeoutMs]\n');
  process.exit(2);
}

let inFlight = 0;
let stopping = false;

/** @param {Record<string, string | number>} record */
function report(record) {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

function attempt() {
  const startedAt = Date.now();
  inFlight++;
  let answer = '';
  let settled = false;
  const socket = connect({ host, port });
  /** @param {{ source: string } | { error: string }} outcome */
  const settle = (outcome) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    report({ startedAt, endedAt: Date.now(), ...outcome });
    inFlight--;
    if (stopping && inFlight === 0) process.exit(0);
  };
  const timer = setTimeout(() => settle({ error: `timed out after ${timeoutMs} ms` }), timeoutMs);
  socket.on('connect', () => socket.end());
  socket.on('data', (data) => (answer += data.toString()));
  socket.on('end', () => {
    const source = answer.trim().split(' ')[0] ?? '';
    settle(source ? { source } : { error: 'empty answer' });
  });
  socket.on('error', (error) =>
    settle({ error: /** @type {NodeJS.ErrnoException} */ (error).code ?? error.message }),
  );
}

const ticker = setInterval(attempt, intervalMs);
attempt();
process.stderr.write('looping\n');
process.on('SIGTERM', () => {
  stopping = true;
  clearInterval(ticker);
  if (inFlight === 0) process.exit(0);
});
