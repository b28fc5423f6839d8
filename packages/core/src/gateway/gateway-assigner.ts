// Egress IP → gateway node. Eligible nodes match the IP's gateway selector, are Ready, are live (fresh
// heartbeat; an input here) and have an InternalIP of the IP's family to be steered to. An eligible node that
// hosts the IP already (its incumbent, by its own published word; an input too) keeps it: a move costs an
// outage, so a healthy holder is never displaced by a node that merely ranks higher — a gateway returning
// after a failover does not take its IPs back. Otherwise the owner is the eligible node with the highest
// rendezvous weight for (egressIP, node), so every agent computes the same answer without a leader.
import type { CompiledSelector } from '../selectors/label-selector.js';
import type { SlimNode } from '../cluster/slim-objects.js';
import { ipFamily } from '../net/ip.js';
import { rendezvousPick } from '../hashing/rendezvous.js';

export interface GatewayRequest {
  egressIP: string;
  gatewayNodeSelector: CompiledSelector;
}

/** Why a node cannot hold an egress IP, in the order the checks are made (the first that applies). */
export type GatewayIneligibility =
  'nodeGone' | 'notReady' | 'selectorMismatch' | 'heartbeatExpired' | 'noAddressOfFamily';

export interface Liveness {
  isLive(node: string): boolean;
}

/** Offline rendering and tests: every Ready node counts as live. */
export const allReadyNodesLive: Liveness = { isLive: () => true };

/** Cluster-scope backends: no node acts as a gateway (their datapath has none), so no IP is assigned. */
export const noNodeGateways: Liveness = { isLive: () => false };

/** Who hosts each egress IP now, as the gateways publish it (the hand-over protocol's `ready` IPs). */
export interface Incumbency {
  /**
   * Of `candidates` (eligible nodes), the one hosting `egressIP` now; undefined when none does. Views lag for
   * a moment in a hand-over, so when several seem to, the newest holder is answered (it took the IP over only
   * after the older one's claim had stopped counting).
   */
  incumbentAmong(egressIP: string, candidates: readonly string[]): string | undefined;
}

/** Offline rendering and tests: nobody hosts anything yet, so rendezvous order alone decides. */
export const noIncumbents: Incumbency = { incumbentAmong: () => undefined };

export class GatewayAssigner {
  /** Eligible node names per selector text, recomputed when nodes or liveness change. */
  private readonly eligibleBySelector = new Map<string, string[]>();

  constructor(
    private readonly nodes: ReadonlyMap<string, SlimNode>,
    private readonly liveness: Liveness,
    private readonly incumbency: Incumbency = noIncumbents,
  ) {}

  /** Forget cached eligibility after a node or liveness change. */
  invalidate(): void {
    this.eligibleBySelector.clear();
  }

  assign(request: GatewayRequest): string | null {
    const family = ipFamily(request.egressIP);
    const candidates = this.eligibleNodes(request.gatewayNodeSelector).filter((name) =>
      (this.nodes.get(name) as SlimNode).internalIPs.some((ip) => ipFamily(ip) === family),
    );
    return (
      this.incumbency.incumbentAmong(request.egressIP, candidates) ??
      rendezvousPick(request.egressIP, candidates)
    );
  }

  /** Why `node` cannot own the request's IP now; null when it is eligible (then incumbency, then rendezvous order decide). */
  ineligibility(request: GatewayRequest, node: string): GatewayIneligibility | null {
    const found = this.nodes.get(node);
    if (!found) return 'nodeGone';
    if (!found.ready) return 'notReady';
    if (!request.gatewayNodeSelector.matches(found.labels)) return 'selectorMismatch';
    if (!this.liveness.isLive(node)) return 'heartbeatExpired';
    const family = ipFamily(request.egressIP);
    if (!found.internalIPs.some((ip) => ipFamily(ip) === family)) return 'noAddressOfFamily';
    return null;
  }

  eligibleNodes(selector: CompiledSelector): string[] {
    let eligible = this.eligibleBySelector.get(selector.text);
    if (!eligible) {
      eligible = [];
      for (const node of this.nodes.values()) {
        if (node.ready && this.liveness.isLive(node.name) && selector.matches(node.labels))
          eligible.push(node.name);
      }
      this.eligibleBySelector.set(selector.text, eligible);
    }
    return eligible;
  }
}
