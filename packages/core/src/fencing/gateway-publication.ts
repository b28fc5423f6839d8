// This node's side of the published gateway state: what it hosts (what the last successful sync
// programmed), what it wants claimed, what its lease carries as the last write stored it, and — once, at
// start — whether the previous process's state still stands.
import type { Logger } from 'pino';
import type { Clock } from '../runner/clock.js';
import type { LeaseObject } from '../kube/lease-api.js';
import {
  GATEWAY_STATE_ANNOTATION,
  NO_GATEWAY_STATE,
  gatewayState,
  parseGatewayState,
  sameGatewayState,
  type PublishedGatewayState,
} from './gateway-state.js';

export class GatewayPublication {
  private hostingNow = new Set<string>();
  private wanted: readonly string[] = [];
  private writtenState: PublishedGatewayState = NO_GATEWAY_STATE;
  /** Our writes since the claims last changed; 'seen' once the watch delivered one of them back. */
  private claimsEcho: Set<string> | 'seen' = new Set();
  private previousProcessChecked = false;

  constructor(
    private readonly node: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** What the last successful sync programmed here (the previous process's, until the first sync). */
  get hosting(): ReadonlySet<string> {
    return this.hostingNow;
  }

  /** The state our lease carries, as the last successful write stored it. */
  get written(): PublishedGatewayState {
    return this.writtenState;
  }

  /**
   * Whether the lease watch has delivered back a write of ours that carries our current claims (`observed`:
   * the resourceVersion of our lease as the watch last delivered it). Only then has this node seen every
   * claim written before its own. Renewals that carry the same claims do not start the wait again: if they
   * did, a node whose sync runs at the renewal's cadence could find its newest write not yet echoed at every
   * sync, and never host (the fencing simulation found it).
   */
  claimsSeen(observed: string | undefined): boolean {
    if (this.claimsEcho === 'seen') return true;
    if (observed === undefined || !this.claimsEcho.has(observed)) return false;
    this.claimsEcho = 'seen';
    return true;
  }

  /** The claims the latest decision wants published. */
  want(claims: readonly string[]): void {
    this.wanted = claims;
  }

  /** A sync programmed these IPs. */
  synced(hosted: Iterable<string>): void {
    this.hostingNow = new Set(hosted);
    this.previousProcessChecked = true;
  }

  /** What the next write must carry: claims cover every IP wanted or still hosted; ready is what is hosted. */
  toPublish(current: LeaseObject | undefined): PublishedGatewayState {
    if (!this.previousProcessChecked) this.adoptPreviousProcess(current);
    return gatewayState([...this.wanted, ...this.hostingNow], this.hostingNow);
  }

  /** Whether what should be published differs from what the lease carries. */
  get stale(): boolean {
    return !sameGatewayState(
      gatewayState([...this.wanted, ...this.hostingNow], this.hostingNow),
      this.writtenState,
    );
  }

  /** A write succeeded; `lease` is what the server stored. */
  recordWrite(lease: LeaseObject): void {
    const state = parseGatewayState(lease.metadata.annotations?.[GATEWAY_STATE_ANNOTATION]);
    const version = lease.metadata.resourceVersion;
    const claimsChanged = state.claimed.join(',') !== this.writtenState.claimed.join(',');
    this.writtenState = state;
    if (claimsChanged) this.claimsEcho = new Set();
    if (this.claimsEcho !== 'seen' && version !== undefined) this.claimsEcho.add(version);
  }

  /**
   * At start, before any decision: the previous process's published state is kept if its lease is still
   * fresh (a restart within the lease, or within the restart hold it wrote), since its datapath is still in
   * place and peers have not taken anything over. An expired lease's claims are void: peers may have taken
   * the IPs over, so nothing is kept. Judged on this node's own wall clock against the renewTime this node
   * wrote.
   */
  private adoptPreviousProcess(current: LeaseObject | undefined): void {
    this.previousProcessChecked = true;
    const spec = current?.spec;
    if (spec?.holderIdentity !== this.node || spec.renewTime === undefined) return;
    const expiresAt = Date.parse(spec.renewTime) + Math.max(1, spec.leaseDurationSeconds ?? 1) * 1000;
    if (!(this.clock.now() < expiresAt)) return;
    const previous = parseGatewayState(current?.metadata.annotations?.[GATEWAY_STATE_ANNOTATION]);
    if (previous.unreadable) return;
    this.hostingNow = new Set(previous.ready);
    this.wanted = previous.claimed;
    this.logger.info(
      { claimed: previous.claimed, ready: previous.ready },
      'kept the gateway state of the previous process (its lease is still fresh)',
    );
  }
}
