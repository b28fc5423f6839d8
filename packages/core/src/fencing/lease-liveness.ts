// Gateway liveness from heartbeat Leases, judged the way client-go's leader election judges a lease: a
// lease is fresh until `leaseDurationSeconds` after this agent *observed* its last change, measured on this
// agent's own monotonic clock. Remote timestamps (renewTime) are never compared with local time, so clock
// skew between nodes cannot make a live gateway look dead or a dead one live.
//
// More rules make the judgement safe:
// - This agent's own liveness is its ability to renew: it stops counting itself as a gateway `fenceMarginMs`
//   before others can see its lease expire (self-fencing), so it withdraws its egress IPs first.
// - Others are judged only while this agent's view of the leases is current. A fresh lease is renewed every
//   interval, so while some lease is fresh the watch delivers events all the time; if it has delivered
//   nothing for `viewGraceMs` (one renew interval) although a renewal was due, this agent may be blind (cut
//   off, or its watch stalled) and judges as of `last event + viewGraceMs` instead of now. A live node was
//   observed at most one interval before that last event, so it stays live in a frozen view (grace 1 s <
//   lease 3 s − interval 1 s); nobody is declared dead because this agent stopped hearing. Silence while no
//   lease is fresh (no gateway-eligible node renews) is not blindness: nothing was due.
// - After a real blind spell (no lease event for two intervals while renewals were due), no lease expires,
//   for hand-over purposes, earlier than one lease duration after the view came back: the previous owner may
//   itself still be peer-confirmed through the outage and needs that time to learn that this agent reaches
//   the API again and withdraw (peer-confirmed fencing, docs/failover.md).
// - For the same reason, once this agent has told a peer that it cannot reach the API, no lease expires, for
//   hand-overs, earlier than one lease duration after that answer: the asker may be kept live on it. This holds
//   even when this agent's view never went blind (an API server whose watch cache serves lists while its
//   writes and reads fail, etcd down).
// - Self liveness may also be granted by peers confirming a full API outage (`peerConfirmed`).
import type { Liveness } from '../gateway/gateway-assigner.js';
import type { Clock } from '../runner/clock.js';
import type { SlimLease } from '../kube/slim-convert.js';
import { nodeOfLease } from '../kube/lease-api.js';
import { selfEntitlement, type Entitlement } from './peer-fencing.js';

export interface LeaseLivenessOptions {
  selfNode: string;
  /** This agent's own lease duration (what others use to judge it). */
  leaseDurationMs: number;
  /** How long before others can see its lease expire this agent stops counting itself live. */
  fenceMarginMs: number;
  /** False: never self-fence (availability over the one-owner guarantee; see docs/failover.md). */
  selfFencing: boolean;
  /** Judge as of `last lease event + viewGraceMs` when no event came for that long (the renew interval). */
  viewGraceMs: number;
  clock: Clock;
}

interface Observation {
  resourceVersion: string;
  holder: string;
  observedAtMs: number;
  durationMs: number;
}

/** The liveness view of an agent with these timing options (the self-fence margin is one interval). */
export function leaseLivenessFor(
  options: {
    nodeName: string;
    leaseDurationMs: number;
    fenceMarginMs: number;
    heartbeatIntervalMs: number;
    selfFencing: boolean;
  },
  clock: Clock,
): LeaseLiveness {
  return new LeaseLiveness({
    selfNode: options.nodeName,
    leaseDurationMs: options.leaseDurationMs,
    fenceMarginMs: options.fenceMarginMs,
    viewGraceMs: options.heartbeatIntervalMs,
    selfFencing: options.selfFencing,
    clock,
  });
}

export class LeaseLiveness implements Liveness {
  private readonly observations = new Map<string, Observation>();
  private selfRenewStartMs: number | undefined;
  private lastViewEventMs: number | undefined;
  private recoveredAtMs: number | undefined;
  private peerConfirmedUntilMs: number | undefined;
  private apiDeniedAtMs: number | undefined;

  constructor(private readonly options: LeaseLivenessOptions) {}

  private now(): number {
    return this.options.clock.monotonic();
  }

  /** A heartbeat lease was added or changed (any change, including our own renewals). */
  observe(lease: SlimLease): void {
    const node = nodeOfLease(lease.name);
    if (node === undefined) return;
    const now = this.now();
    this.viewEvent(now);
    const previous = this.observations.get(node);
    if (previous && previous.resourceVersion === lease.resourceVersion) return;
    this.observations.set(node, {
      resourceVersion: lease.resourceVersion,
      holder: lease.holderIdentity,
      observedAtMs: now,
      durationMs: Math.max(1, lease.leaseDurationSeconds) * 1000,
    });
  }

  forget(leaseName: string): void {
    const node = nodeOfLease(leaseName);
    if (node !== undefined) this.observations.delete(node);
    this.viewEvent(this.now());
  }

  /**
   * The view is current again. Time spent blind does not count against anyone: a lease that did not change
   * while this agent could not see is not known to be stale, so observations move forward by the blind gap
   * (a relist after an outage must not make unchanged-looking leases instantly expired). A silence in which
   * no renewal was due is no blind spell and changes nothing.
   */
  private viewEvent(now: number): void {
    const last = this.lastViewEventMs;
    if (last !== undefined && this.renewalWasDue(last)) {
      if (now - last > 2 * this.options.viewGraceMs) this.recoveredAtMs = now;
      const blindSince = last + this.options.viewGraceMs;
      if (now > blindSince) {
        const gap = now - blindSince;
        for (const observation of this.observations.values()) observation.observedAtMs += gap;
      }
    }
    this.lastViewEventMs = now;
  }

  /** Some lease was still fresh one grace period after `lastEventMs`: its renewal was due by then. */
  private renewalWasDue(lastEventMs: number): boolean {
    const quietFrom = lastEventMs + this.options.viewGraceMs;
    for (const observation of this.observations.values()) {
      if (observation.holder !== '' && observation.observedAtMs + observation.durationMs > quietFrom)
        return true;
    }
    return false;
  }

  /** Our own renewal succeeded; `requestStartMs` is when the request was sent (others observe it later). */
  selfRenewed(requestStartMs: number): void {
    this.selfRenewStartMs = Math.max(this.selfRenewStartMs ?? -Infinity, requestStartMs);
  }

  /** When the last successful renewal was sent (monotonic); undefined before the first. */
  get lastSelfRenewal(): number | undefined {
    return this.selfRenewStartMs;
  }

  /**
   * Peers confirmed a full API outage: this agent stays live until `untilMs` even past its renewal
   * deadline. Undefined withdraws the confirmation at once (a peer reaches the API, or none answered).
   */
  peerConfirmed(untilMs: number | undefined): void {
    this.peerConfirmedUntilMs = untilMs;
  }

  /** This agent answered a peer "I cannot reach the API" (`/peer/api-status`): see the rules above. */
  apiDenied(): void {
    this.apiDeniedAtMs = this.now();
  }

  /** Why this agent counts itself live now: its own renewal, its peers' confirmation, or not at all. */
  selfEntitlement(): Entitlement {
    return selfEntitlement({
      now: this.now(),
      selfFencing: this.options.selfFencing,
      renewalDeadline: this.selfFenceDeadline(),
      peerConfirmedUntil: this.peerConfirmedUntilMs,
    });
  }

  /** Monotonic time until which this agent may act as a gateway; undefined before the first renewal. */
  selfFenceDeadline(): number | undefined {
    if (this.selfRenewStartMs === undefined) return undefined;
    return this.selfRenewStartMs + this.options.leaseDurationMs - this.options.fenceMarginMs;
  }

  /**
   * Monotonic time at which `node`'s lease expires as this agent sees it, for hand-overs: never earlier than
   * one lease duration after this agent's view came back from a blind spell, or after it last told a peer
   * that it cannot reach the API. Undefined if never seen.
   */
  expiryOf(node: string): number | undefined {
    const observation = this.observations.get(node);
    if (!observation) return undefined;
    const floors = [this.recoveredAtMs, this.apiDeniedAtMs].filter((at) => at !== undefined);
    return Math.max(observation.observedAtMs, ...floors) + observation.durationMs;
  }

  /** The lease view is current: an event arrived within the grace period, or none was due. */
  viewIsCurrent(): boolean {
    const last = this.lastViewEventMs;
    if (last === undefined) return false;
    return this.now() - last < this.options.viewGraceMs || !this.renewalWasDue(last);
  }

  isLive(node: string): boolean {
    if (node === this.options.selfNode) return this.selfEntitlement() !== 'none';
    const observation = this.observations.get(node);
    if (!observation || observation.holder === '') return false;
    // Possibly blind: judge as of the last moment the view was known current (freezes the judgement).
    const judgedAt = this.viewIsCurrent()
      ? this.now()
      : (this.lastViewEventMs ?? this.now()) + this.options.viewGraceMs;
    return judgedAt < observation.observedAtMs + observation.durationMs;
  }

  /** Nodes currently live (self included when it is), sorted: compared to detect liveness changes. */
  liveNodes(candidates: Iterable<string>): string[] {
    const live: string[] = [];
    for (const node of candidates) if (this.isLive(node)) live.push(node);
    return live.sort();
  }

  /** Every node with a lease, and self. */
  knownNodes(): string[] {
    return [...new Set([...this.observations.keys(), this.options.selfNode])];
  }
}
