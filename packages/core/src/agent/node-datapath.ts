// The one way into a node proxier: syncs and kernel-lifetime renewals run one at a time, in the order they
// were asked for. Without this, a renewal could re-add (`ip addr replace`) an address that a concurrent sync
// has just withdrawn, and the address would outlive the withdrawal that the hand-over protocol counted on.
//
// A sync that adds egress addresses is preceded, in the same turn, by a lifetime renewal computed then: the
// backend adds new addresses with the lifetime of its last `heartbeat`, and that one may rest on a lease
// renewal too old by now (a sync that waited behind a long one). If nothing is left of the lease's budget,
// the sync fails and is retried after the next renewal, so an address is never added with a lifetime that
// outlasts what peers wait for.
import type { LifetimeRenewal } from '../fencing/address-lifetime.js';
import type { NodeProxier, SyncReport } from '../plugin/proxier.js';
import type { TrafficReading } from '../plugin/traffic.js';
import type { NodeEgressTable } from '../table/node-egress-table.js';

/** A sync would add egress addresses, but the lease they rest on has no lifetime left to give them. */
export class LifetimeBudgetError extends Error {
  override name = 'LifetimeBudgetError';
}

export class NodeDatapath implements LifetimeRenewal {
  private tail: Promise<unknown> = Promise.resolve();
  /** Egress IPs the last successful sync programmed, with the policies that use each. */
  private hosted = new Map<string, readonly string[]>();

  constructor(
    private readonly proxier: NodeProxier,
    /** The lifetime (s) a renewal running now may grant: what the fencing controller's lease allows. */
    private readonly lifetimeNow: () => number,
  ) {}

  sync(table: NodeEgressTable, signal: AbortSignal): Promise<SyncReport> {
    return this.serially(async () => {
      const adds = table.hostedEgressIPs.filter((hosted) => !this.hosted.has(hosted.ip));
      if (adds.length > 0 && this.proxier.heartbeat) {
        const seconds = this.lifetimeNow();
        if (seconds < 1)
          throw new LifetimeBudgetError(
            `not adding ${adds.map((a) => a.ip).join(', ')}: no address lifetime left in this node's lease; retried after the next renewal`,
          );
        await this.proxier.heartbeat(seconds, signal);
      }
      const report = await this.proxier.sync(table, signal);
      this.hosted = new Map(table.hostedEgressIPs.map((hosted) => [hosted.ip, hosted.policies]));
      return report;
    });
  }

  /** Egress IPs the last successful sync programmed, with the policies that use each. */
  get hostedEgressIPs(): ReadonlyMap<string, readonly string[]> {
    return this.hosted;
  }

  /** Whether the backend counts traffic (`readTraffic`). */
  get countsTraffic(): boolean {
    return this.proxier.readTraffic !== undefined;
  }

  /**
   * The backend's traffic counters. Not serialised with syncs: a reading only reads, and must not wait behind
   * (or delay) a long sync.
   */
  readTraffic(signal: AbortSignal): Promise<TrafficReading> {
    if (this.proxier.readTraffic === undefined) throw new Error('this backend does not count traffic');
    return this.proxier.readTraffic(signal);
  }

  /**
   * Extends the kernel lifetime of what this node holds (a no-op for a backend without lifetimes). The
   * lifetime is computed when the renewal runs, not when it was asked for: a renewal that waited behind a
   * long sync must not grant more than is left of the lease it rests on. Resolves with what was granted
   * (0: nothing, the budget ran out while waiting).
   */
  renewLifetimes(lifetimeSeconds: () => number, signal: AbortSignal): Promise<number> {
    const heartbeat = this.proxier.heartbeat?.bind(this.proxier);
    return this.serially(async () => {
      const seconds = lifetimeSeconds();
      if (heartbeat === undefined || seconds < 1) return 0;
      await heartbeat(seconds, signal);
      return seconds;
    });
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
