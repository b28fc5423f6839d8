// The host's end of the agent's protocol (protocol.ts), over qemu's socket for the virtio-serial port: it
// numbers requests and routes the agent's events back to the run or the process they belong to.
import { connect, type Socket } from 'node:net';
import { GuestProcess } from './guest-process.js';
import { LineSplitter } from './lines.js';
import type { GuestEvent, GuestRequest, RunOutcome } from './protocol.js';

export interface ExecuteOptions {
  input?: string;
  timeoutMs: number;
  /** Aborting sends SIGTERM to the process in the guest (SIGKILL 2 s later); the outcome still arrives. */
  signal?: AbortSignal;
}

export type ReadyEvent = Extract<GuestEvent, { type: 'ready' }>;

/** Beyond a run's own timeout (and the agent's 2 s SIGKILL grace), how long before the guest counts as hung. */
const ANSWER_GRACE_MS = 15_000;

interface PendingRun {
  resolve: (outcome: RunOutcome) => void;
  reject: (error: Error) => void;
}

export class GuestChannel {
  readonly ready: Promise<ReadyEvent>;
  private nextId = 1;
  private readonly runs = new Map<number, PendingRun>();
  private readonly processes = new Map<number, GuestProcess>();
  private readonly clocks = new Map<number, (guestAt: number) => void>();
  private closedWith: Error | undefined;
  /** Why the channel is about to close, once the agent was asked to shut down. */
  private closingWith: Error | undefined;
  private onReady: ((event: ReadyEvent) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    this.ready = new Promise((resolve) => (this.onReady = resolve));
    const splitter = new LineSplitter((line) => this.receive(JSON.parse(line) as GuestEvent));
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('close', () => this.close(this.closingWith ?? new Error('the guest closed its channel')));
    socket.on('error', () => undefined); // 'close' follows and says it
  }

  static connect(path: string): Promise<GuestChannel> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new GuestChannel(socket)));
      socket.once('error', reject);
    });
  }

  execute(argv: readonly string[], options: ExecuteOptions): Promise<RunOutcome> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise<RunOutcome>((resolve, reject) => {
      const deadline = setTimeout(() => {
        this.send({ op: 'kill', id, signal: 'SIGKILL' });
        this.settleRun(id, new Error(`the guest gave no answer for ${argv.join(' ')} within its timeout`));
      }, options.timeoutMs + ANSWER_GRACE_MS);
      const abort = () => {
        this.send({ op: 'kill', id, signal: 'SIGTERM' });
        setTimeout(() => this.runs.has(id) && this.send({ op: 'kill', id, signal: 'SIGKILL' }), 2000).unref();
      };
      options.signal?.addEventListener('abort', abort, { once: true });
      const done = () => {
        clearTimeout(deadline);
        options.signal?.removeEventListener('abort', abort);
      };
      this.runs.set(id, {
        resolve: (outcome) => {
          done();
          resolve(outcome);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      this.send({
        op: 'run',
        id,
        argv: [...argv],
        timeoutMs: options.timeoutMs,
        ...(options.input === undefined ? {} : { input: options.input }),
      });
      if (options.signal?.aborted === true) abort();
    });
  }

  /** The guest's Date.now(), and the host's before asking and after the answer. */
  readClock(): Promise<{ sentAt: number; guestAt: number; receivedAt: number }> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    const sentAt = Date.now();
    return new Promise((resolve) => {
      this.clocks.set(id, (guestAt) => resolve({ sentAt, guestAt, receivedAt: Date.now() }));
      this.send({ op: 'clock', id });
    });
  }

  spawn(argv: readonly string[], stdin: boolean): GuestProcess {
    const id = this.nextId++;
    const child = new GuestProcess(id, argv, stdin, (request) => this.send(request));
    if (this.closedWith !== undefined) {
      // As a ChildProcess whose spawn failed: the exit is reported asynchronously.
      const reason = this.closedWith.message;
      setImmediate(() => {
        child.exited(null, null, reason);
        child.closed();
      });
      return child;
    }
    this.processes.set(id, child);
    this.send({ op: 'spawn', id, argv: [...argv], stdin });
    return child;
  }

  send(request: GuestRequest): void {
    if (this.closedWith === undefined) this.socket.write(`${JSON.stringify(request)}\n`);
  }

  /** Asks the agent to stop everything and exit; what is still pending then fails with `reason`. */
  shutdown(reason: Error): void {
    this.closingWith = reason;
    this.send({ op: 'shutdown' });
  }

  /** Fails every pending run and ends every process (the guest is gone); safe to call twice. */
  close(reason: Error): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    for (const id of [...this.runs.keys()]) this.settleRun(id, reason);
    for (const child of this.processes.values()) {
      child.exited(null, 'SIGKILL');
      child.closed();
    }
    this.processes.clear();
    this.socket.destroy();
  }

  private settleRun(id: number, result: RunOutcome | Error): void {
    const pending = this.runs.get(id);
    if (pending === undefined) return;
    this.runs.delete(id);
    if (result instanceof Error) pending.reject(result);
    else pending.resolve(result);
  }

  private receive(event: GuestEvent): void {
    switch (event.type) {
      case 'ready':
        return this.onReady?.(event);
      case 'ran':
        return this.settleRun(event.id, event.outcome);
      case 'clock':
        this.clocks.get(event.id)?.(event.epochMs);
        this.clocks.delete(event.id);
        return;
      case 'spawned':
        return this.processes.get(event.id)?.spawned(event.pid);
      case 'output':
        return this.processes.get(event.id)?.output(event.stream, event.data);
      case 'exited':
        return this.processes.get(event.id)?.exited(event.code, event.signal, event.error);
      case 'closed':
        this.processes.get(event.id)?.closed();
        this.processes.delete(event.id);
        return;
    }
  }
}
