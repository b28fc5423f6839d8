// Every node's published gateway state (claims and ready IPs) as the lease watch delivered it, with the
// order in which each claim first appeared. The watch delivers all writes to every agent in one order (the
// API server's), so "N's claim on X came before M's" means the same on every node, and of two nodes claiming
// one IP at once exactly one sees its own claim first. A claim first seen in a list (the agent's start, or a
// relist after an expired watch) has no known order, and keeps none for as long as it stands: it may be
// older than anything seen since.
//
// The `ready` IPs say who hosts what now: the book is the model's incumbency (an eligible holder keeps its IP).
import type { Incumbency } from '../gateway/gateway-assigner.js';
import { rendezvousPick } from '../hashing/rendezvous.js';
import { nodeOfLease } from '../kube/lease-api.js';
import type { SlimLease } from '../kube/slim-convert.js';
import {
  GATEWAY_STATE_ANNOTATION,
  NO_GATEWAY_STATE,
  parseGatewayState,
  type PublishedGatewayState,
} from './gateway-state.js';

/** When a claim first appeared: a sequence number of the watch, or unknown (listed). */
type ClaimOrder = number | 'unordered';

interface Entry {
  state: PublishedGatewayState;
  /** The lease's resourceVersion this state came with. */
  resourceVersion: string;
  order: Map<string, ClaimOrder>;
}

export class ClaimBook implements Incumbency {
  private readonly entries = new Map<string, Entry>();
  private sequence = 0;

  /**
   * Records a node's state; `ordered` is true for a watch event, false for a listed object. True when the IPs
   * the node lists as ready changed (the model's incumbency did).
   */
  observe(node: string, state: PublishedGatewayState, resourceVersion: string, ordered: boolean): boolean {
    const previous = this.entries.get(node);
    if (previous?.resourceVersion === resourceVersion) return false; // the same write again (a relist)
    const sequence = ++this.sequence;
    const order = new Map<string, ClaimOrder>();
    for (const ip of state.claimed) {
      const known = previous?.state.claimed.includes(ip) ? previous.order.get(ip) : undefined;
      order.set(ip, known ?? (ordered ? sequence : 'unordered'));
    }
    this.entries.set(node, { state, resourceVersion, order });
    return !sameReadiness(previous?.state ?? NO_GATEWAY_STATE, state);
  }

  /** `observe` for a node's heartbeat lease (other leases are ignored: false). */
  observeLease(lease: SlimLease, ordered: boolean): boolean {
    const node = nodeOfLease(lease.name);
    if (node === undefined) return false;
    const state = parseGatewayState(lease.annotations[GATEWAY_STATE_ANNOTATION]);
    return this.observe(node, state, lease.resourceVersion, ordered);
  }

  /** True when the node listed IPs as ready (the model's incumbency changed). */
  forget(node: string): boolean {
    const previous = this.entries.get(node);
    this.entries.delete(node);
    return previous !== undefined && !sameReadiness(previous.state, NO_GATEWAY_STATE);
  }

  incumbentAmong(egressIP: string, candidates: readonly string[]): string | undefined {
    let newest: { node: string; order: number } | undefined;
    const unordered: string[] = [];
    for (const node of candidates) {
      const state = this.entries.get(node)?.state;
      if (state === undefined || state.unreadable === true || !state.ready.includes(egressIP)) continue;
      const order = this.orderOf(node, egressIP);
      if (order === undefined) unordered.push(node);
      else if (newest === undefined || order > newest.order) newest = { node, order };
    }
    // A claim first seen in a list may be older than anything ordered since: the ordered one is newer.
    return newest?.node ?? rendezvousPick(egressIP, unordered) ?? undefined;
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

function sameReadiness(a: PublishedGatewayState, b: PublishedGatewayState): boolean {
  return a.unreadable === b.unreadable && a.ready.join() === b.ready.join();
}
