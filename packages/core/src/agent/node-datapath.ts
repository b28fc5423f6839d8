// The one way into a node proxier: syncs and kernel-lifetime renewals run one at a time, in the order they
// were asked for. Without this, a renewal could re-add (`ip addr replace`) an address that a concurrent sync
// has just withdrawn, and the address would outlive the withdrawal that the hand-over protocol counted on.
import type { NodeProxier, SyncReport } from '../plugin/proxier.js';
import type { NodeEgressTable } from '../table/node-egress-table.js';

export class NodeDatapath {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly proxier: NodeProxier) {}

  sync(table: NodeEgressTable, signal: AbortSignal): Promise<SyncReport> {
    return this.serially(() => this.proxier.sync(table, signal));
  }

  /** Extends the kernel lifetime of what this node holds (a no-op for a backend without lifetimes). */
  renewLifetimes(lifetimeSeconds: number, signal: AbortSignal): Promise<void> {
    const heartbeat = this.proxier.heartbeat?.bind(this.proxier);
    if (heartbeat === undefined) return Promise.resolve();
    return this.serially(() => heartbeat(lifetimeSeconds, signal));
  }

  /** Resolves when everything asked for so far has finished (successfully or not). */
  async idle(): Promise<void> {
    await this.tail;
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
