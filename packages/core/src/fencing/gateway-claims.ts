// The hand-over protocol's decisions (docs/failover.md, "Hand-over protocol"): for every egress IP in use,
// whether this node hosts it now, where this node's pods' traffic for it goes (a ready gateway, or held),
// and which claims this node must publish. Pure given its inputs, except for when drains end.
//
// For an egress IP X whose owner (rendezvous over live, eligible nodes: `EgressModel.gatewayOf`) is O:
// - O is this node: it claims X (the claim is published before anything is programmed) and hosts X once a
//   write of its current claims has come back through the lease watch, and every other claim on X that
//   still counts came later in the watch's order — or once it hosts X already. A node that lost its lease
//   (fenced) publishes its withdrawal before it claims again, so a claim never keeps an order from before a
//   lapse in which others took the IP over. Of two nodes claiming at once, only the first in the
//   watch's order hosts; the other waits until the first withdraws or its claim stops counting. A claim
//   counts until its node's lease has expired, as this agent observes it, plus the hand-over margin: a
//   crashed holder's kernel drops the address within that time (its lifetime is shorter than the lease).
// - O is another node or none (a planned move, a policy's gateway changed, the policy went away): a node
//   that hosts X keeps it for the drain period (the new owner's claim is published and seen meanwhile) and
//   serves the sources that still steer to it; its claim goes with the publication after the sync that
//   withdrew X. A node that is not live (fenced) withdraws at once.
// - Steering: a node steers X's traffic to O while O lists X as ready. Until then, to the node that still
//   hosts X — a live node (its lease fresh as observed here) listing X as ready, the newest claim if a
//   lagging view shows two: a draining holder goes on serving until its withdrawal is published, so a
//   planned move holds traffic only from that withdrawal to O's ready, not through the drain. With neither,
//   the traffic is held.
import type { ClaimBook } from './claim-book.js';
import { claims } from './gateway-state.js';

export interface ClaimInputs {
  self: string;
  /** Monotonic now. */
  now: number;
  /** Every egress IP of an accepted policy with its computed owner (null: no live eligible node). */
  owners: ReadonlyMap<string, string | null>;
  /** This node may act as a gateway (its heartbeat is renewed, or peers confirm a full outage). */
  selfLive: boolean;
  /** Every node's published state as the lease watch delivered it, this node's own included. */
  book: ClaimBook;
  /**
   * The watch has delivered back a write of this node's that carries its current claims
   * (`GatewayPublication.claimsSeen`): only then has it seen every claim written before its own.
   */
  selfClaimsSeen: boolean;
  /** Monotonic time a node's lease expires as this agent sees it (`LeaseLiveness.expiryOf`). */
  expiryOf(node: string): number | undefined;
  /** IPs the last successful sync programmed here. */
  hosting: ReadonlySet<string>;
  /** A claim counts until its node's lease expiry plus this margin. */
  handoverMarginMs: number;
  /** How long a node keeps an IP whose owner changed to another node. */
  drainMs: number;
}

export interface ClaimDecisions {
  /** IPs this node hosts now (sorted). */
  hosted: string[];
  /** For IPs not hosted here: the node to steer to, or null while the traffic must be held. */
  steerTo: Map<string, string | null>;
  /** This node's claims to publish (sorted): the IPs it owns and everything it still hosts. */
  claims: string[];
  /** IPs this node owns but may not host yet, with the node it waits for (itself: its own claim). */
  waiting: Map<string, string>;
  /** IPs hosted only until their drain ends. */
  draining: string[];
  /** Monotonic time at which a decision may change by time alone (a claim stops counting, a drain ends). */
  nextChangeAt: number | undefined;
}

export class GatewayClaims {
  /** Drain end per IP hosted here whose owner is now another node. */
  private readonly drainUntil = new Map<string, number>();

  decide(input: ClaimInputs): ClaimDecisions {
    const decisions: ClaimDecisions = {
      hosted: [],
      steerTo: new Map(),
      claims: [],
      waiting: new Map(),
      draining: [],
      nextChangeAt: undefined,
    };
    const claimed = new Set<string>();
    const wakeAt = (at: number): void => {
      decisions.nextChangeAt = Math.min(decisions.nextChangeAt ?? Infinity, at);
    };

    for (const [ip, owner] of input.owners) {
      const hostsNow = input.hosting.has(ip);
      // What a sync has programmed stays claimed until a later sync has withdrawn it.
      if (hostsNow) claimed.add(ip);
      if (owner === input.self && input.selfLive) {
        this.drainUntil.delete(ip);
        claimed.add(ip);
        const blocker = hostsNow ? undefined : this.blockingClaim(ip, input, wakeAt);
        if (blocker === undefined) decisions.hosted.push(ip);
        else {
          decisions.waiting.set(ip, blocker);
          decisions.steerTo.set(ip, stillHosting(input, ip));
        }
        continue;
      }
      if (hostsNow && input.selfLive) {
        if (this.drains(ip, input, wakeAt)) {
          decisions.hosted.push(ip);
          decisions.draining.push(ip);
          continue;
        }
        // Drained: the record stays until a sync has withdrawn the IP, so the drain does not start again.
      } else this.drainUntil.delete(ip);
      decisions.steerTo.set(
        ip,
        owner !== null && owner !== input.self && ready(input, owner, ip) ? owner : stillHosting(input, ip),
      );
    }
    for (const ip of input.hosting) claimed.add(ip);
    for (const ip of [...this.drainUntil.keys()]) if (!input.owners.has(ip)) this.drainUntil.delete(ip);

    decisions.hosted.sort();
    decisions.draining.sort();
    decisions.claims = [...claimed].sort();
    return decisions;
  }

  /** Starts or continues the drain of an IP that moved away; true while it lasts. */
  private drains(ip: string, input: ClaimInputs, wakeAt: (at: number) => void): boolean {
    const until = this.drainUntil.get(ip) ?? input.now + input.drainMs;
    this.drainUntil.set(ip, until);
    if (input.now >= until) return false;
    wakeAt(until);
    return true;
  }

  /**
   * Why this node may not host `ip` yet: its own claim has not come back (itself), or another node's claim
   * still counts and is not known to be later than ours (that node). Undefined: it may host.
   */
  private blockingClaim(ip: string, input: ClaimInputs, wakeAt: (at: number) => void): string | undefined {
    const { book, self } = input;
    if (!input.selfClaimsSeen || !claims(book.state(self), ip)) return self;
    const ours = book.orderOf(self, ip);
    let blocker: string | undefined;
    for (const node of book.nodes()) {
      if (node === self || !claims(book.state(node), ip)) continue;
      const expiry = input.expiryOf(node);
      if (expiry === undefined) continue; // never seen alive through a lease: nothing to wait for
      const voidAt = expiry + input.handoverMarginMs;
      if (input.now >= voidAt) continue; // its lease expired long enough ago: its kernel dropped the IP
      const theirs = book.orderOf(node, ip);
      if (ours !== undefined && theirs !== undefined && theirs > ours) continue; // it saw ours first: it waits
      wakeAt(voidAt);
      blocker ??= node;
    }
    return blocker;
  }
}

/** Another live node that lists `ip` as ready (the newest claim of several), or null: hold the traffic. */
function stillHosting(input: ClaimInputs, ip: string): string | null {
  const live = [...input.book.nodes()].filter(
    (node) => node !== input.self && (input.expiryOf(node) ?? -Infinity) > input.now,
  );
  return input.book.incumbentAmong(ip, live) ?? null;
}

function ready(input: ClaimInputs, node: string, ip: string): boolean {
  const state = input.book.state(node);
  return state.unreadable !== true && state.ready.includes(ip);
}
