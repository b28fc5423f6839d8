// Everything about who may hold an egress IP, in one place (docs/failover.md): the heartbeat lease and the
// gateway state it publishes, lease liveness, self-fencing and peer-confirmed fencing, the hand-over
// protocol's decisions, the kernel lifetime of hosted addresses, and the restart hold of a planned stop.
// Every lifetime the proxier gets comes from it — its renewals, and the budget the NodeDatapath renews with
// before a sync that adds addresses — and goes through the NodeDatapath, serialised with syncs.
//
// The node sync loop asks it for a GatewayView before building each table (`gatewayView`) and tells it what
// the sync programmed (`synced`); the lease informer feeds it every heartbeat lease (`observeLease`).
import type { Logger } from 'pino';
import type { EgressModel } from '../model/egress-model.js';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import type { Clock, Timer } from '../runner/clock.js';
import type { GatewayView } from '../table/gateway-view.js';
import type { NodeEgressTable } from '../table/node-egress-table.js';
import { HeartbeatRenewer } from '../kube/heartbeat-renewer.js';
import { KubeApiError, type KubeClient } from '../kube/kube-client.js';
import { heartbeatLeaseName, leasePath, nodeOfLease, type LeaseObject } from '../kube/lease-api.js';
import type { SlimLease } from '../kube/slim-convert.js';
import { addressLifetimeSeconds, type LifetimeRenewal } from './address-lifetime.js';
import type { ClaimBook } from './claim-book.js';
import { GatewayClaims, type ClaimDecisions } from './gateway-claims.js';
import { isGatewayCandidate } from './gateway-candidacy.js';
import { GATEWAY_STATE_ANNOTATION, formatGatewayState } from './gateway-state.js';
import { GatewayPublication } from './gateway-publication.js';
import type { LeaseLiveness } from './lease-liveness.js';
import {
  ApiReachability,
  PeerChecker,
  peerUrlFromAddress,
  type PeerApiStatus,
  type PeerUrlResolver,
} from './peer-fencing.js';
import { PeerRounds, type PeerAsker } from './peer-rounds.js';

/** How often liveness is re-judged: lease expiry is a matter of time passing, not of events. */
export const LIVENESS_CHECK_MS = 100;

export interface FencingOptions {
  node: string;
  namespace: string;
  heartbeatIntervalMs: number;
  leaseDurationMs: number;
  /** A fenced agent withdraws this long before others can see its lease expire. */
  fenceMarginMs: number;
  /** A claim counts until its lease expired plus this margin. */
  handoverMarginMs: number;
  /** How long a gateway keeps an IP that moved to another node (source nodes stop steering first). */
  drainMs: number;
  selfFencing: boolean;
  peerFencing: boolean;
  /** A planned stop keeps the lease (and the kernel lifetimes) fresh this long; 0: no hold. */
  restartHoldMs: number;
  /** Port of the peers' health servers. */
  peerPort: number;
}

export interface FencingDependencies {
  /** Heartbeat writes and API probes. */
  client: Pick<KubeClient, 'request'>;
  model: EgressModel;
  liveness: LeaseLiveness;
  /**
   * Every node's published gateway state, filled by this controller from the lease watch; the model reads it as
   * its incumbency (who hosts each IP now), so it is given to both.
   */
  book: ClaimBook;
  /** Where peers are asked for their API status; default: `http://<InternalIP>:<peerPort>` from the model. */
  peerUrl?: PeerUrlResolver;
  /** How peers are asked; default: over HTTP (`PeerChecker`). A simulation answers in virtual time. */
  peerAsker?: PeerAsker;
  clock: Clock;
  metrics: AgentMetrics;
  logger: Logger;
  /** The set of live nodes, or who hosts an IP, changed: the model must recompute gateways, and a sync is due. */
  gatewayInputsChanged(): void;
  /** What this node hosts, or where it steers, changed: a sync is due. */
  decisionsChanged(): void;
  /**
   * Other annotations this node publishes on its heartbeat lease (e.g. SNAT port pressure), given the lease as
   * last read or written; `publishSoon` sends a change without waiting for the next renewal.
   */
  annotations?(current: LeaseObject | undefined): Readonly<Record<string, string>>;
}

/** A table's gateway inputs, and when they may change by time alone. */
export interface GatewayDecision {
  view: GatewayView;
  nextChangeAt: number | undefined;
}

export class FencingController {
  private readonly book: ClaimBook;
  private readonly claims = new GatewayClaims();
  private readonly renewer: HeartbeatRenewer;
  private readonly reachability: ApiReachability;
  private readonly peerRounds: PeerRounds;
  private readonly logger: Logger;
  private datapath: LifetimeRenewal | undefined;
  private readonly lifetimes = new AbortController();
  private ticker: Timer | undefined;
  private state: 'created' | 'started' | 'deciding' | 'stopped' = 'created';
  private readonly publication: GatewayPublication;
  private liveSignature = '';
  private decisionSignature = '';
  /** When a decision changes by time alone (a claim stops counting, a drain ends), and its timer. */
  private nextChangeAt: number | undefined;
  private changeTimer: Timer | undefined;
  private owners = new Map<string, string | null>();
  private waiting = new Set<string>();
  /** A lower bound of when the lifetime last granted runs out; a renewal in flight. */
  private grantedUntil: number | undefined;
  private lifetimeRenewing = false;
  /** When the last round that confirmed a full outage started: the basis of lifetimes on the peers' word. */
  private confirmedAt: number | undefined;

  constructor(
    private readonly options: FencingOptions,
    private readonly deps: FencingDependencies,
  ) {
    this.logger = deps.logger.child({ component: 'fencing' });
    this.book = deps.book;
    this.publication = new GatewayPublication(options.node, deps.clock, this.logger);
    const interval = options.heartbeatIntervalMs;
    this.renewer = new HeartbeatRenewer(
      deps.client,
      {
        namespace: options.namespace,
        node: options.node,
        identity: options.node,
        renewIntervalMs: interval,
        leaseDurationMs: options.leaseDurationMs,
      },
      {
        renewed: (startedAt, lease) => this.onRenewed(startedAt, lease),
        renewFailed: () => deps.metrics.leaseRenewFailures.inc(),
        annotations: (current) => ({
          ...deps.annotations?.(current),
          [GATEWAY_STATE_ANNOTATION]: formatGatewayState(this.publication.toPublish(current)),
        }),
      },
      deps.clock,
      this.logger.child({ component: 'heartbeat' }),
    );
    this.reachability = new ApiReachability({
      freshMs: interval / 4,
      probeTimeoutMs: interval / 4,
      probe: (timeoutMs) => this.probeApi(timeoutMs),
      clock: deps.clock,
    });
    this.peerRounds = new PeerRounds({
      self: options.node,
      intervalMs: interval,
      liveness: deps.liveness,
      checker:
        deps.peerAsker ??
        new PeerChecker({
          timeoutMs: interval / 2,
          resolve:
            deps.peerUrl ??
            ((node) => {
              const address = deps.model.node(node)?.internalIPs[0];
              return address === undefined ? undefined : peerUrlFromAddress(address, options.peerPort);
            }),
        }),
      unansweredSince: () => this.renewer.unansweredSince,
      renewNow: (deadlineMs) => this.renewer.renewNow(deadlineMs),
      confirmed: (startedAt) => {
        this.confirmedAt = startedAt;
        this.renewLifetimes();
      },
      judged: () => this.checkLiveness(),
      clock: deps.clock,
      metrics: deps.metrics,
      logger: this.logger,
    });
  }

  /** Settles once the first renewal attempt succeeded or failed: our own liveness is known after it. */
  get firstRenewal(): Promise<void> {
    return this.renewer.firstAttempt;
  }

  /** Starts renewing at once, so a restarting gateway's lease never lapses while its informers list. */
  start(): void {
    if (this.state !== 'created') throw new Error(`fencing already ${this.state}`);
    this.state = 'started';
    this.renewer.start();
    this.tick();
  }

  /** The proxier exists: kernel lifetimes can be renewed from now on. */
  attachDatapath(datapath: LifetimeRenewal): void {
    this.datapath = datapath;
  }

  /** Every informer has listed: the model is complete and decisions may be made (and claims published). */
  beginDeciding(): void {
    if (this.state === 'started') this.state = 'deciding';
  }

  /**
   * Stops renewing. A planned stop (SIGTERM) of a live gateway-eligible node writes its lease once more with
   * the restart hold as its duration and then extends the kernel lifetime of what it holds to match, so
   * that peers take a restart shorter than the hold for no failure at all. The lease write comes first: if
   * it fails, the kernel lifetime is not extended (peers would fail the IPs over on the normal lease).
   */
  async stop(planned: boolean): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRenewing = this.renewer.isRunning;
    const live = this.deps.liveness.isLive(this.options.node);
    this.state = 'stopped';
    this.ticker?.cancel();
    this.changeTimer?.cancel();
    await Promise.all([this.peerRounds.stop(), this.renewer.stop()]);
    const holdMs = this.options.restartHoldMs;
    if (planned && holdMs > 0 && wasRenewing && live) {
      const basisMs = this.deps.clock.monotonic();
      const held = await this.renewer.holdFor(holdMs, this.options.heartbeatIntervalMs);
      let seconds = 0;
      if (held && this.datapath) {
        seconds = await this.datapath
          .renewLifetimes(() => this.lifetimeAt(basisMs, holdMs), this.lifetimes.signal)
          .catch((error: unknown) => {
            this.logger.warn({ err: error }, 'could not extend the egress addresses for the restart hold');
            return 0;
          });
      }
      this.logger.info(
        { held, restartHoldMs: holdMs, addressLifetimeSeconds: seconds },
        held
          ? 'restart hold written: peers keep this gateway for the hold'
          : 'restart hold not written: peers fail this gateway over on its normal lease',
      );
    }
    this.lifetimes.abort();
  }

  /** A heartbeat lease was listed (`ordered` false) or came in a watch event (true). */
  observeLease(lease: SlimLease, ordered: boolean): void {
    this.deps.liveness.observe(lease);
    if (this.book.observeLease(lease, ordered)) this.deps.gatewayInputsChanged();
    this.checkLiveness();
    this.reconsider();
  }

  /** Renew at once (when the one in flight is done) to publish changed `annotations`. */
  publishSoon(): void {
    this.renewer.renewSoon();
  }

  forgetLease(name: string): void {
    this.deps.liveness.forget(name);
    const node = nodeOfLease(name);
    if (node !== undefined && this.book.forget(node)) this.deps.gatewayInputsChanged();
    this.checkLiveness();
    this.reconsider();
  }

  /** The API server answered a request of this agent (a list; renewals and probes are counted here). */
  apiAnswered(): void {
    this.reachability.contact();
  }

  /** This agent's answer to a peer's `/peer/api-status`. */
  async peerApiStatus(): Promise<PeerApiStatus> {
    const apiReachable = await this.reachability.reachable();
    // The asker may stay live on this answer: hand-overs here wait a lease duration after it.
    if (!apiReachable) this.deps.liveness.apiDenied();
    return { node: this.options.node, apiReachable };
  }

  /** Who acts as gateway of each IP for the table about to be built. */
  gatewayView(): GatewayDecision {
    const decisions = this.decide();
    return {
      view: {
        hostedHere: () => decisions.hosted,
        steerTarget: (egressIP) => decisions.steerTo.get(egressIP) ?? null,
      },
      nextChangeAt: decisions.nextChangeAt,
    };
  }

  /** A sync programmed `table`: it is what this node hosts, ready for source nodes to steer to. */
  synced(table: NodeEgressTable): void {
    this.publication.synced(table.hostedEgressIPs.map((hosted) => hosted.ip));
    this.decide(); // a withdrawn IP's claim goes now
    this.publishIfChanged();
  }

  private decide(): ClaimDecisions {
    const { model, liveness, clock, metrics } = this.deps;
    const owners = new Map<string, string | null>();
    for (const policy of model.acceptedPolicies())
      for (const ip of policy.egressIPs) if (!owners.has(ip)) owners.set(ip, model.gatewayOf(ip));
    const decisions = this.claims.decide({
      self: this.options.node,
      now: clock.monotonic(),
      owners,
      selfLive: liveness.isLive(this.options.node),
      book: this.book,
      selfClaimsSeen: this.publication.claimsSeen(this.book.versionOf(this.options.node)),
      expiryOf: (node) => liveness.expiryOf(node),
      hosting: this.publication.hosting,
      handoverMarginMs: this.options.handoverMarginMs,
      drainMs: this.options.drainMs,
    });
    let moves = 0;
    for (const [ip, owner] of owners) if (this.owners.has(ip) && this.owners.get(ip) !== owner) moves++;
    this.owners = owners;
    metrics.gatewayMoves.inc(moves);
    const newlyWaiting = [...decisions.waiting.keys()].filter((ip) => !this.waiting.has(ip));
    metrics.heldBackClaims.inc(newlyWaiting.length);
    if (newlyWaiting.length > 0)
      this.logger.info(
        { waiting: Object.fromEntries([...decisions.waiting].filter(([ip]) => newlyWaiting.includes(ip))) },
        'egress IPs assigned here wait for their claims to be ordered before being hosted',
      );
    this.waiting = new Set(decisions.waiting.keys());
    metrics.heldEgressIPs.set([...decisions.steerTo.values()].filter((to) => to === null).length);
    this.armChangeTimer(decisions.nextChangeAt);
    if (this.state === 'deciding') {
      this.publication.want(decisions.claims);
      this.publishIfChanged();
    }
    const signature = signatureOf(decisions);
    if (signature !== this.decisionSignature)
      this.logger.debug(
        {
          hosted: decisions.hosted,
          waiting: Object.fromEntries(decisions.waiting),
          steerTo: Object.fromEntries(decisions.steerTo),
          nextChangeInMs:
            decisions.nextChangeAt === undefined
              ? undefined
              : Math.round(decisions.nextChangeAt - clock.monotonic()),
        },
        'gateway decisions changed',
      );
    this.decisionSignature = signature;
    return decisions;
  }

  /** Re-decides exactly when a hold or a drain ends, not on the next liveness tick (failover time). */
  private armChangeTimer(at: number | undefined): void {
    if (at === this.nextChangeAt) return;
    this.nextChangeAt = at;
    this.changeTimer?.cancel();
    this.changeTimer = undefined;
    if (at === undefined || this.state === 'stopped') return;
    const { clock } = this.deps;
    this.changeTimer = clock.setTimeout(
      () => {
        // Node's timers count from the event loop's cached time, so this can fire a little before `at`:
        // forget it, so that a decision still waiting for `at` arms a new timer instead of none.
        this.changeTimer = undefined;
        this.nextChangeAt = undefined;
        this.reconsider();
      },
      Math.max(0, at - clock.monotonic()),
    );
  }

  /** Re-decides after an input changed; asks for a sync only if the outcome changed. */
  private reconsider(): void {
    if (this.state !== 'deciding') return;
    const before = this.decisionSignature;
    this.decide();
    if (this.decisionSignature !== before) this.deps.decisionsChanged();
  }

  private publishIfChanged(): void {
    if (this.renewer.isRunning && this.publication.stale) this.renewer.renewSoon();
  }

  private onRenewed(startedAt: number, lease: LeaseObject): void {
    this.publication.recordWrite(lease);
    if (this.state === 'stopped') return;
    const { liveness, metrics, clock } = this.deps;
    this.reachability.contact();
    this.peerRounds.renewed();
    const wasLive = liveness.isLive(this.options.node);
    liveness.selfRenewed(startedAt);
    metrics.lastHeartbeatTimestamp.set(clock.now() / 1000);
    if (!wasLive) this.checkLiveness();
    this.renewLifetimes();
    this.publishIfChanged();
    // The echo of this write may have come before its response: own claims may count as seen only now.
    this.reconsider();
  }

  /** The lifetime a renewal running now may grant, for a lease (or confirmation) that rests on `basisMs`. */
  private lifetimeAt(basisMs: number, leaseDurationMs: number): number {
    return addressLifetimeSeconds({
      basisMs,
      nowMs: this.deps.clock.monotonic(),
      leaseDurationMs,
      handoverMarginMs: this.options.handoverMarginMs,
    });
  }

  /**
   * Renews the kernel lifetimes with what the lease allows when the renewal runs (after any sync ahead of
   * it): after each lease renewal and confirming peer round, and from the liveness tick whenever what was
   * granted runs out within a second — so an address whose renewal came too late to be given 2 s (a loaded
   * node) is topped up on the same lease instead of lapsing before the next one.
   */
  private renewLifetimes(): void {
    if (this.datapath === undefined || this.state === 'stopped' || this.lifetimeRenewing) return;
    if (!this.deps.liveness.isLive(this.options.node)) return;
    this.lifetimeRenewing = true;
    this.datapath
      .renewLifetimes(() => this.lifetimeNow(), this.lifetimes.signal)
      .then(
        (seconds) => {
          if (seconds > 0) this.grantedUntil = this.deps.clock.monotonic() + seconds * 1000;
        },
        (error: unknown) =>
          this.logger.warn({ err: error }, 'could not renew the kernel lifetime of the egress addresses'),
      )
      .finally(() => (this.lifetimeRenewing = false));
  }

  /**
   * The lifetime a renewal running now may grant: from the last lease renewal, or the last full-outage
   * confirmation while that is what keeps this node live, or from now without self-fencing; 0 when this node
   * may not act as a gateway.
   */
  lifetimeNow(): number {
    const { liveness, clock } = this.deps;
    if (!this.options.selfFencing) return this.lifetimeAt(clock.monotonic(), this.options.leaseDurationMs);
    const entitlement = liveness.selfEntitlement();
    const basis =
      entitlement === 'renewal'
        ? liveness.lastSelfRenewal
        : entitlement === 'peers'
          ? this.confirmedAt
          : undefined;
    return basis === undefined ? 0 : this.lifetimeAt(basis, this.options.leaseDurationMs);
  }

  private tick(): void {
    if (this.state === 'stopped') return;
    const { clock } = this.deps;
    if (this.peerFencingActive) this.peerRounds.check();
    this.checkLiveness();
    this.followCandidacy();
    if (this.nextChangeAt !== undefined && clock.monotonic() >= this.nextChangeAt) this.reconsider(); // a late timer
    // Lifetimes running out within a second are topped up from the lease's budget whenever that moves their end
    // (the kernel's whole-second expiry) later by a tick or more: the last top-up a lease allows comes a quarter
    // second before its budget shrinks, so the address outlasts the next renewal's or peer round's slack.
    // Without self-fencing that is what keeps a node's IPs through any API trouble: the budget starts from now.
    const now = clock.monotonic();
    const granted = this.grantedUntil ?? -Infinity;
    if (now > granted - 1_000 && now + this.lifetimeNow() * 1000 >= granted + LIVENESS_CHECK_MS)
      this.renewLifetimes();
    this.ticker = clock.setTimeout(() => this.tick(), LIVENESS_CHECK_MS);
  }

  private get peerFencingActive(): boolean {
    return this.options.peerFencing && this.options.selfFencing && this.renewer.isRunning;
  }

  private checkLiveness(): void {
    const { liveness, metrics } = this.deps;
    const self = this.options.node;
    const live = liveness.liveNodes(liveness.knownNodes());
    metrics.peerConfirmedOutage.set(liveness.selfEntitlement() === 'peers' ? 1 : 0);
    metrics.selfFenced.set(
      this.options.selfFencing && this.renewer.isRunning && !liveness.isLive(self) ? 1 : 0,
    );
    const signature = live.join(',');
    if (signature === this.liveSignature) return;
    this.liveSignature = signature;
    metrics.liveGateways.set(live.length);
    this.logger.info({ live }, 'gateway liveness changed');
    this.deps.gatewayInputsChanged();
    this.reconsider();
  }

  /**
   * Renews only while this node may be a gateway, or still holds or claims something (its withdrawal must
   * be published before its lease may lapse).
   */
  private followCandidacy(): void {
    if (this.state !== 'deciding') return;
    const candidate = isGatewayCandidate(this.deps.model, this.options.node);
    if (candidate === undefined) return;
    const { hosting, written } = this.publication;
    const mustRenew = candidate || hosting.size > 0 || written.claimed.length > 0;
    if (mustRenew === this.renewer.isRunning) return;
    this.logger.info(
      { candidate },
      mustRenew
        ? 'gateway-eligible: renewing the heartbeat lease'
        : 'not gateway-eligible: lease left to expire',
    );
    if (mustRenew) this.renewer.start();
    else void this.renewer.stop();
  }

  /** One API request (a GET of our heartbeat lease): any answer of the server counts as reaching it. */
  private async probeApi(timeoutMs: number): Promise<void> {
    try {
      await this.deps.client.request({
        method: 'GET',
        path: leasePath(this.options.namespace, heartbeatLeaseName(this.options.node)),
        timeoutMs,
      });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode < 500)) throw error;
    }
  }
}

function signatureOf(decisions: ClaimDecisions): string {
  return JSON.stringify([decisions.hosted, [...decisions.steerTo].sort()]);
}
