// One probe agent per namespace (agents/probe-agent.ts): connections from a pod at the cost of a line each.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ProbeAttempt {
  startedAt: number;
  endedAt: number;
  /** The source address the server saw; absent when the connection failed. */
  source?: string;
  error?: string;
}

export class Prober {
  private next = 0;
  private readonly waiting = new Map<string, (attempt: ProbeAttempt) => void>();
  private readonly ready: Promise<void>;
  private exited = false;

  constructor(
    readonly namespace: string,
    private readonly child: ChildProcess,
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
        this.exited = true;
        reject(new Error(`probe agent in ${namespace} exited with ${code}: ${stderr}`));
        for (const [, done] of this.waiting) done({ startedAt: 0, endedAt: 0, error: 'probe agent exited' });
        this.waiting.clear();
      });
    });
    this.ready.catch(() => undefined);
  }

  /** Opens one new connection and resolves with what happened (never rejects for a failed connection). */
  async probe(ip: string, port: number, timeoutMs = 1000): Promise<ProbeAttempt> {
    await this.ready;
    if (this.exited) return { startedAt: Date.now(), endedAt: Date.now(), error: 'probe agent exited' };
    const id = String(this.next++);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin?.write(`${id} ${ip} ${port} ${timeoutMs}\n`);
    });
  }

  stop(): void {
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
  }
}
