// The claiming side of fencing: an egress IP that moves to this node is hosted only once the previous
// owner's heartbeat lease has expired (as this agent observed it) plus a margin. The previous owner stops
// hosting before its lease can expire (self-fencing) and its kernel drops the address by itself if it
// crashed (address lifetime < lease duration), so waiting this long means two nodes never hold one IP.
//
// Every node applies the same hold to a moved IP: the new gateway does not host it yet, and source nodes do
// not steer to it yet; meanwhile its traffic is dropped (FailClosed) or left alone (FailOpen).
//
// The previous owner is what this agent computed before; on the first sight of an IP (agent start, new
// policy) it is the node recorded in the Egress status, so a restarting agent that already held the IP
// keeps it without a gap, and one that comes back after its IP moved away waits for the interim owner.
import type { EgressModel } from '../model/egress-model.js';
import type { EgressRule, HostedEgressIP, NodeEgressTable } from '../table/node-egress-table.js';

export interface HandoverLiveness {
  /** Monotonic time at which `node`'s lease expires as this agent sees it; undefined if never seen. */
  expiryOf(node: string): number | undefined;
}

interface IPOwnership {
  /** Gateway as last computed (null: none). */
  owner: string | null;
  /** Last non-null gateway. */
  lastOwner: string | null;
}

export interface HandoverResult {
  table: NodeEgressTable;
  /** IPs whose gateway changed since the previous computation. */
  moves: number;
  /** IPs newly held back by this computation. */
  newlyHeld: number;
  /** Monotonic time the earliest hold ends, if any IP is held. */
  nextReleaseAt: number | undefined;
}

export class GatewayHandover {
  private readonly ownership = new Map<string, IPOwnership>();
  /** Moved IPs whose new gateway may not act yet: until the previous owner's lease expired + margin. */
  private readonly holds = new Map<string, { gateway: string; until: number }>();

  constructor(
    private readonly self: string,
    private readonly liveness: HandoverLiveness,
    private readonly marginMs: number,
    /** The gateway recorded in the Egress status for an IP, if any. */
    private readonly recordedOwner: (egressIP: string) => string | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records gateway changes and removes IPs still held back from the table's hosted IPs. */
  apply(model: EgressModel, table: NodeEgressTable): HandoverResult {
    const now = this.now();
    let moves = 0;
    let newlyHeld = 0;
    const seen = new Set<string>();
    for (const policy of model.acceptedPolicies()) {
      for (const ip of policy.egressIPs) {
        if (seen.has(ip)) continue;
        seen.add(ip);
        const gateway = model.gatewayOf(ip);
        const previous = this.ownership.get(ip) ?? this.firstSight(ip);
        if (previous.owner !== gateway) moves += this.ownership.has(ip) ? 1 : 0;
        // A hold is for one new gateway; if the IP moves on, it ends (and a new move may start another).
        if (this.holds.get(ip)?.gateway !== gateway) this.holds.delete(ip);
        if (gateway !== null && previous.owner !== gateway) {
          const from = previous.lastOwner;
          if (from !== null && from !== gateway) {
            const until = (this.liveness.expiryOf(from) ?? now) + this.marginMs;
            if (until > now) {
              this.holds.set(ip, { gateway, until });
              if (gateway === this.self) newlyHeld++;
            }
          }
        }
        this.ownership.set(ip, { owner: gateway, lastOwner: gateway ?? previous.lastOwner });
      }
    }
    for (const ip of [...this.ownership.keys()]) {
      if (!seen.has(ip)) {
        this.ownership.delete(ip);
        this.holds.delete(ip);
      }
    }
    let nextReleaseAt: number | undefined;
    const held = new Set<string>();
    for (const [ip, { until }] of this.holds) {
      if (until <= now) {
        this.holds.delete(ip);
        continue;
      }
      held.add(ip);
      nextReleaseAt = Math.min(nextReleaseAt ?? Infinity, until);
    }
    const hostedEgressIPs: HostedEgressIP[] = table.hostedEgressIPs.filter((h) => !held.has(h.ip));
    // Until the hold ends, traffic for a held IP is treated as having no live gateway: dropped under
    // FailClosed, left alone under FailOpen. On the new gateway (snat) and on source nodes (steer) alike, so
    // pods are not steered to a gateway that has not taken the IP yet (its CNI would masquerade them).
    const rules = table.rules.map((rule): EgressRule =>
      (rule.action.kind === 'snat' || rule.action.kind === 'steer') && held.has(rule.action.egressIP)
        ? { ...rule, action: rule.failurePolicy === 'FailClosed' ? { kind: 'drop' } : { kind: 'bypass' } }
        : rule,
    );
    return { table: { ...table, hostedEgressIPs, rules }, moves, newlyHeld, nextReleaseAt };
  }

  private firstSight(ip: string): IPOwnership {
    const recorded = this.recordedOwner(ip) ?? null;
    return { owner: recorded, lastOwner: recorded };
  }
}
