// Every node's published gateway state (claims and ready IPs) as the lease watch delivered it, with the
// order in which each claim first appeared. The watch delivers all writes to every agent in one order (the
// API server's), so "N's claim on X came before M's" means the same on every node, and of two nodes claiming
// one IP at once exactly one sees its own claim first. A claim first seen in a list (the agent's start, or a
// relist after an expired watch) has no known order, and keeps none for as long as it stands: it may be
// older than anything seen since.
import { NO_GATEWAY_STATE, type PublishedGatewayState } from './gateway-state.js';

/** When a claim first appeared: a sequence number of the watch, or unknown (listed). */
type ClaimOrder = number | 'unordered';

interface Entry {
  state: PublishedGatewayState;
  /** The lease's resourceVersion this state came with. */
  resourceVersion: string;
  order: Map<string, ClaimOrder>;
}

export class ClaimBook {
  private readonly entries = new Map<string, Entry>();
  private sequence = 0;

  /** Records a node's state; `ordered` is true for a watch event, false for a listed object. */
  observe(node: string, state: PublishedGatewayState, resourceVersion: string, ordered: boolean): void {
    const previous = this.entries.get(node);
    if (previous?.resourceVersion === resourceVersion) return; // the same write again (a relist)
    const sequence = ++this.sequence;
    const order = new Map<string, ClaimOrder>();
    for (const ip of state.claimed) {
      const known = previous?.state.claimed.includes(ip) ? previous.order.get(ip) : undefined;
      order.set(ip, known ?? (ordered ? sequence : 'unordered'));
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
    const order = this.entries.get(node)?.order.get(ip);
    return order === 'unordered' ? undefined : order;
  }

  nodes(): IterableIterator<string> {
    return this.entries.keys();
  }
}
