// A long-running process in the guest, as the lab sees a child process (netlab's LabProcess): its output
// and exit arrive as the agent's events, its stdin and signals leave as requests.
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import type { LabProcess } from '@egress-proxier/netlab';
import type { GuestRequest } from './protocol.js';

export class GuestProcess extends EventEmitter implements LabProcess {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable | null;
  private ended = false;

  constructor(
    readonly id: number,
    readonly argv: readonly string[],
    withStdin: boolean,
    private readonly send: (request: GuestRequest) => void,
  ) {
    super();
    this.stdin = withStdin
      ? new Writable({
          write: (chunk: Buffer | string, _encoding, done) => {
            if (!this.ended) this.send({ op: 'write', id, data: chunk.toString() });
            done();
          },
          final: (done) => {
            if (!this.ended) this.send({ op: 'end', id });
            done();
          },
        })
      : null;
  }

  /** Sends the signal to the process in the guest; false once it has exited (as ChildProcess.kill). */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.ended) return false;
    this.send({ op: 'kill', id: this.id, signal: signalName(signal) });
    return true;
  }

  /** @internal the agent's events, routed here by the channel */
  spawned(pid: number): void {
    this.pid = pid;
    this.emit('spawn');
  }

  /** @internal */
  output(stream: 'stdout' | 'stderr', data: string): void {
    this[stream].write(Buffer.from(data));
  }

  /**
   * @internal Also called when the guest goes away with the process still running (code null, SIGKILL). A
   * command that could not start exits 127 with the reason on stderr, as a shell would report it.
   */
  exited(code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) this.stderr.write(`${error}\n`);
    this.exitCode = error === undefined ? code : 127;
    this.signalCode = signal;
    this.stdin?.destroy();
    this.emit('exit', this.exitCode, this.signalCode);
  }

  /** @internal its output has ended */
  closed(): void {
    if (this.stdout.writableEnded) return;
    this.stdout.end();
    this.stderr.end();
    this.emit('close', this.exitCode, this.signalCode);
  }
}

function signalName(signal: NodeJS.Signals | number): NodeJS.Signals {
  if (typeof signal === 'string') return signal;
  const entry = Object.entries(constants.signals).find(([, number]) => number === signal);
  if (entry === undefined) throw new Error(`no signal numbered ${signal}`);
  return entry[0] as NodeJS.Signals;
}
