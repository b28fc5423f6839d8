// Every node's published gateway state (claims and ready IPs) as the lease watch delivered it, with the
// order in which each claim first appeared. The watch delivers all writes to every agent in one order (the
// API server's), so "N's claim on X came before M's" means the same on every node, and of two nodes claiming
// one IP at once exactly one sees its own claim first. A claim that arrived in a list (a relist after an
// expired watch, or the agent's start) has no known order: it never counts as later than anybody's.
import { NO_GATEWAY_STATE, type PublishedGatewayState } from './gateway-state.js';

interface Entry {
  state: PublishedGatewayState;
  /** The lease's resourceVersion this state came with. */
  resourceVersion: string;
  /** Sequence number of the event in which each current claim first appeared; absent: unordered. */
  order: Map<string, number>;
}

export class ClaimBook {
  private readonly entries = new Map<string, Entry>();
  private sequence = 0;

  /** Records a node's state; `ordered` is true for a watch event, false for a listed object. */
  observe(node: string, state: PublishedGatewayState, resourceVersion: string, ordered: boolean): void {
    const previous = this.entries.get(node);
    const sequence = ++this.sequence;
    const order = new Map<string, number>();
    for (const ip of state.claimed) {
      const known = previous?.state.claimed.includes(ip) ? previous.order.get(ip) : undefined;
      if (known !== undefined) order.set(ip, known);
      else if (ordered) order.set(ip, sequence);
    }
    this.entries.set(node, { state, resourceVersion, order });
  }

  forget(node: string): void {
    this.entries.delete(node);
  }

  state(node: string): PublishedGatewayState {
    return this.entries.get(node)?.state ?? NO_GATEWAY_STATE;
  }

  /** The resourceVersion of the lease `node`'s state was last observed in. */
  versionOf(node: string): string | undefined {
    return this.entries.get(node)?.resourceVersion;
  }

  /** When `node`'s claim on `ip` first appeared in the watch; undefined if not claimed or not ordered. */
  orderOf(node: string, ip: string): number | undefined {
    return this.entries.get(node)?.order.get(ip);
  }

  nodes(): IterableIterator<string> {
    return this.entries.keys();
  }
}
