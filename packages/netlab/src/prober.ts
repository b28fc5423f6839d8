// One probe agent per namespace (agents/probe-agent.ts): connections from a pod at the cost of a line each.
import { createInterface } from 'node:readline';
import { onHostClock } from './attempt-times.js';
import type { LabProcess } from './host.js';

export interface ProbeAttempt {
  startedAt: number;
  endedAt: number;
  /** The source address the server saw; absent when the connection failed. */
  source?: string;
  /** The bytes the server received. */
  bytes?: number;
  /** Why the connection failed, short (`ECONNREFUSED`, `timed out after 1000 ms`, `empty answer`). */
  error?: string;
  /** The full reason (`connect ECONNREFUSED 198.51.100.10:9999`), empty when the server did not answer. */
  reason?: string;
}

export interface SendOptions {
  /** Bytes to send before half-closing (default 0). */
  bytes?: number;
  /** Send them one at a time over this long (default 0: at once). */
  spreadMs?: number;
  timeoutMs?: number;
}

/** How long past its own timeout an attempt may take before the agent is taken for stuck (a guard against a
 * hang, not a judgement: a loaded TCG guest can hold an answer back for seconds). */
const AGENT_GRACE_MS = 30_000;

export class Prober {
  private next = 0;
  private readonly waiting = new Map<string, (attempt: ProbeAttempt) => void>();
  private readonly ready: Promise<void>;
  private exitedWith: string | undefined;

  constructor(
    readonly namespace: string,
    private readonly child: LabProcess,
  ) {
    if (child.stdout === null || child.stderr === null || child.stdin === null) {
      throw new Error(`probe agent in ${namespace} has no pipes`);
    }
    createInterface({ input: child.stdout }).on('line', (line) => {
      const { id, ...attempt } = JSON.parse(line) as ProbeAttempt & { id: string };
      this.waiting.get(id)?.(attempt);
      this.waiting.delete(id);
    });
    let stderr = '';
    this.ready = new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (data: Buffer) => {
        stderr += data.toString();
        if (stderr.includes('probing')) resolve();
      });
      child.once('exit', (code) => {
        this.exitedWith = `probe agent in ${namespace} exited with ${code}: ${stderr}`;
        reject(new Error(this.exitedWith));
        for (const [, done] of this.waiting) done(failed(Date.now(), 'probe agent exited'));
        this.waiting.clear();
      });
    });
    this.ready.catch(() => undefined);
  }

  /** Whether the agent is gone (killed, or the lab destroyed): a new one is needed for more connections. */
  get exited(): boolean {
    return this.exitedWith !== undefined;
  }

  /** Opens one new connection and resolves with what happened (never rejects for a failed connection). */
  probe(ip: string, port: number, timeoutMs = 1000): Promise<ProbeAttempt> {
    return this.send(ip, port, { timeoutMs });
  }

  /**
   * Opens one new connection, sends `bytes` and resolves with what the server saw (never rejects for a failed
   * connection; rejects only when the agent cannot start).
   */
  async send(ip: string, port: number, options: SendOptions = {}): Promise<ProbeAttempt> {
    const timeoutMs = options.timeoutMs ?? 1000;
    await this.ready;
    if (this.exited) return failed(Date.now(), 'probe agent exited');
    const id = String(this.next++);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(failed(Date.now(), `probe agent gave no answer within ${timeoutMs + AGENT_GRACE_MS} ms`));
      }, timeoutMs + AGENT_GRACE_MS);
      const line = [id, ip, port, timeoutMs, options.bytes ?? 0, options.spreadMs ?? 0].join(' ');
      const sentAt = Date.now();
      this.waiting.set(id, (attempt) => {
        clearTimeout(timer);
        resolve(onHostClock(attempt, sentAt, Date.now()));
      });
      this.child.stdin?.write(`${line}\n`);
    });
  }

  stop(): void {
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
  }
}

function failed(at: number, error: string): ProbeAttempt {
  return { startedAt: at, endedAt: at, error, reason: error };
}
