// The guest agent: the guest's init (scripts/guest/init) starts it with the host's node, inside the host's
// read-only root, with stdin and stdout relayed from the virtio-serial port. It runs the host's requests
// (protocol.ts) as argv, never through a shell, and answers on stdout. Its stderr is the guest's console.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release, setPriority } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from './lines.js';
import { MAX_RUN_OUTPUT_BYTES, type GuestEvent, type GuestRequest, type RunOutcome } from './protocol.js';

/** After a timeout's SIGTERM, a process that ignores it gets SIGKILL this much later (as the core's Exec). */
const FORCE_KILL_AFTER_MS = 2000;
/**
 * Runs (a proxier's restores and kernel reads, bursts of dozens at once) yield the CPU to the long-running
 * processes (servers, probe agents): under TCG the commands cost ten times their native CPU, and without
 * this they starve the lab's connections past their real-time timeouts.
 */
const RUN_NICENESS = 10;
// Messages in English and stable number formats, as netlab's run and the core's Exec ask for on the host.
const ENV = { ...process.env, LC_ALL: 'C' };
const children = new Map<number, ChildProcess>();

function send(event: GuestEvent): void {
  // A pipe: node writes stdout synchronously, so nothing is lost when the agent exits right after.
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function terminate(child: ChildProcess): void {
  child.kill('SIGTERM');
  const force = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, FORCE_KILL_AFTER_MS);
  child.once('exit', () => clearTimeout(force));
}

function lowerPriority(pid: number): void {
  try {
    setPriority(pid, RUN_NICENESS);
  } catch {
    // It has already exited.
  }
}

function run(request: Extract<GuestRequest, { op: 'run' }>): void {
  const [command = '', ...args] = request.argv;
  const child = spawn(command, args, { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  children.set(request.id, child);
  if (child.pid !== undefined) lowerPriority(child.pid);
  const output = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let size = 0;
  let error: string | undefined;
  let timedOut = false;
  const collect = (into: Buffer[]) => (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_RUN_OUTPUT_BYTES) into.push(chunk);
    else if (error === undefined) {
      error = 'maxBuffer';
      terminate(child);
    }
  };
  child.stdout.on('data', collect(output.stdout));
  child.stderr.on('data', collect(output.stderr));
  // A tool that exits without reading its input closes the pipe: that is its answer, not our failure.
  child.stdin.on('error', () => undefined);
  child.stdin.end(request.input);
  const timer = setTimeout(() => {
    timedOut = true;
    terminate(child);
  }, request.timeoutMs);
  let settled = false;
  const settle = (exitCode: number | null, signal: NodeJS.Signals | null) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    children.delete(request.id);
    const outcome: RunOutcome = {
      exitCode,
      signal,
      stdout: Buffer.concat(output.stdout).toString('utf8'),
      stderr: Buffer.concat(output.stderr).toString('utf8'),
      timedOut,
      ...(error === undefined ? {} : { error }),
    };
    send({ type: 'ran', id: request.id, outcome });
  };
  child.on('error', (failure: NodeJS.ErrnoException) => {
    error ??= failure.code ?? failure.message;
    // It never started: no 'close' would follow.
    if (child.pid === undefined) settle(null, null);
  });
  child.on('close', settle);
}

function start(request: Extract<GuestRequest, { op: 'spawn' }>): void {
  const [command = '', ...args] = request.argv;
  const child = spawn(command, args, {
    env: ENV,
    stdio: [request.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  children.set(request.id, child);
  child.on('spawn', () => send({ type: 'spawned', id: request.id, pid: child.pid ?? -1 }));
  for (const stream of ['stdout', 'stderr'] as const) {
    const decoder = new StringDecoder('utf8');
    child[stream]?.on('data', (chunk: Buffer) => {
      const data = decoder.write(chunk);
      if (data !== '') send({ type: 'output', id: request.id, stream, data });
    });
  }
  child.stdin?.on('error', () => undefined);
  let exited = false;
  const exit = (code: number | null, signal: NodeJS.Signals | null, error?: string) => {
    if (exited) return;
    exited = true;
    send({ type: 'exited', id: request.id, code, signal, ...(error === undefined ? {} : { error }) });
  };
  const close = () => {
    children.delete(request.id);
    send({ type: 'closed', id: request.id });
  };
  child.on('error', (failure: NodeJS.ErrnoException) => {
    if (child.pid !== undefined) return;
    exit(null, null, `spawn ${command} ${failure.code ?? failure.message}`);
    close();
  });
  // As node reports it: the exit at once, the end of output when the last holder of the pipes lets go.
  child.on('exit', (code, signal) => exit(code, signal));
  child.on('close', close);
}

function handle(request: GuestRequest): void {
  switch (request.op) {
    case 'run':
      return run(request);
    case 'spawn':
      return start(request);
    case 'write':
      children.get(request.id)?.stdin?.write(request.data);
      return;
    case 'end':
      children.get(request.id)?.stdin?.end();
      return;
    case 'clock':
      send({ type: 'clock', id: request.id, epochMs: Date.now() });
      return;
    case 'kill':
      children.get(request.id)?.kill(request.signal);
      return;
    case 'shutdown':
      for (const child of children.values()) child.kill('SIGKILL');
      // init syncs and powers the machine off once the agent has exited.
      process.exit(0);
  }
}

const splitter = new LineSplitter((line) => {
  let request: GuestRequest;
  try {
    request = JSON.parse(line) as GuestRequest;
  } catch {
    process.stderr.write(`egp-agent: ignoring a line that is not JSON: ${line.slice(0, 200)}\n`);
    return;
  }
  handle(request);
});
process.stdin.on('data', (chunk: Buffer) => splitter.push(chunk));
send({
  type: 'ready',
  release: release(),
  uptimeSeconds: Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]),
});
