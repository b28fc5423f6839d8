// The asking side of peer-confirmed fencing (docs/failover.md): while this agent's renewals are overdue and it
// is still entitled to act as a gateway, it asks its peers every half interval whether they reach the API, and
// keeps counting itself live while they all confirm a full outage.
//
// The first round comes as early as the peers can answer about now: a renewal was due (one interval after the
// last success) and the oldest unanswered one was sent `FIRST_ROUND_AFTER` intervals ago. A request the
// peers completed before the API stopped answering is then older than their quarter-interval freshness, so
// they probe. Early matters on a loaded node: the confirmation, and the kernel lifetime it renews, must land
// before the self-fence deadline and before the lifetime granted on the last renewal runs out (both about
// two intervals after it).
import type { Logger } from 'pino';
import type { Clock } from '../runner/clock.js';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import type { LeaseLiveness } from './lease-liveness.js';
import { judgePeerAnswers, type PeerAnswer, type PeerVerdict } from './peer-fencing.js';

/** Asks every peer at once whether it reaches the API (`PeerChecker` over HTTP; tests simulate it). */
export interface PeerAsker {
  round(peers: readonly { node: string; live: boolean }[]): Promise<PeerAnswer[]>;
}

export interface PeerRoundsDependencies {
  self: string;
  intervalMs: number;
  liveness: LeaseLiveness;
  checker: PeerAsker;
  /** When the oldest renewal not answered since the last success was sent; undefined: none is. */
  unansweredSince(): number | undefined;
  /** One renewal now with this deadline; true if it succeeded (the API is back for this agent too). */
  renewNow(deadlineMs: number): Promise<boolean>;
  /**
   * A round that started at `startedAt` confirmed a full outage: extend the kernel lifetime of what this node
   * holds, on that start (every peer answered "no API" after it, so none can take over before it + lease +
   * margin).
   */
  confirmed(startedAt: number): void;
  /** This agent's own liveness may have changed. */
  judged(): void;
  clock: Clock;
  metrics: AgentMetrics;
  logger: Logger;
}

/** Intervals after the oldest unanswered renewal was sent before peers are asked: their freshness + slack. */
export const FIRST_ROUND_AFTER = 0.3;

export class PeerRounds {
  private round: Promise<void> | undefined;
  private lastRoundAt: number | undefined;
  private lastVerdict: PeerVerdict | undefined;
  private stopped = false;

  constructor(private readonly deps: PeerRoundsDependencies) {}

  /** A renewal succeeded: the next trouble starts a fresh series of rounds. */
  renewed(): void {
    this.lastVerdict = undefined;
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.round ?? Promise.resolve();
  }

  /** Starts a round if one is due; called on every liveness tick. */
  check(): void {
    const { liveness, intervalMs, clock } = this.deps;
    if (this.stopped || this.round) return;
    const lastRenewal = liveness.lastSelfRenewal;
    if (lastRenewal === undefined) return;
    const now = clock.monotonic();
    const unanswered = this.deps.unansweredSince();
    const firstRoundAt =
      unanswered === undefined
        ? lastRenewal + 1.5 * intervalMs // nothing sent since the last success: a stalled renewer
        : Math.max(lastRenewal + intervalMs, unanswered) + FIRST_ROUND_AFTER * intervalMs;
    if (now < firstRoundAt) return;
    // Every half interval: a confirmation lasts 1.75 intervals from its round's start, so one round whose
    // answers come too late (a loaded node) is made up by the next before the confirmation runs out.
    if (this.lastRoundAt !== undefined && now - this.lastRoundAt < intervalMs / 2) return;
    // Peers may only extend an entitlement that still holds, never bring back one that lapsed: once this node
    // has fenced, others may have taken its IPs over, and only a renewal of its own lease makes it live again.
    if (liveness.selfEntitlement() === 'none') return;
    this.lastRoundAt = now;
    const peers = liveness
      .knownNodes()
      .filter((node) => node !== this.deps.self)
      .map((node) => ({ node, live: liveness.isLive(node) }));
    this.round = this.deps.checker
      .round(peers)
      .then((answers) => this.done(now, answers))
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'peer check failed'))
      .finally(() => (this.round = undefined));
  }

  private async done(startedAt: number, answers: PeerAnswer[]): Promise<void> {
    if (this.stopped) return;
    const { intervalMs, liveness, metrics } = this.deps;
    const verdict = judgePeerAnswers(answers);
    // A peer reaching the API may mean it came back for everyone, this agent included (recovery is never
    // simultaneous, and a server that held requests answers them all at once): try one quick renewal before
    // giving up the confirmation. Half an interval keeps the withdrawal well ahead of any takeover
    // (docs/failover.md, recovery race).
    const renewed = verdict === 'cut_off' && (await this.deps.renewNow(intervalMs / 2));
    metrics.peerChecks.inc({ outcome: renewed ? 'renewed' : verdict });
    if (renewed) return this.deps.judged();
    if (verdict !== this.lastVerdict) {
      this.lastVerdict = verdict;
      this.deps.logger.warn(
        { verdict, answers: answers.map((a) => ({ node: a.node, live: a.live, status: a.status ?? null })) },
        verdict === 'full_outage'
          ? 'heartbeat not renewed, but no peer reaches the API either: keeping the egress IPs'
          : 'heartbeat not renewed and no full outage confirmed by the peers: fencing on the renewal deadline',
      );
    }
    if (verdict === 'full_outage') {
      // Valid for an interval, plus the next round's timeout and a tick of slack: two more rounds start in it.
      liveness.peerConfirmed(startedAt + intervalMs + intervalMs / 2 + intervalMs / 4);
      this.deps.confirmed(startedAt);
    } else if (verdict === 'cut_off') {
      // Someone reaches the API and may take over: the confirmation ends now.
      liveness.peerConfirmed(undefined);
    }
    // no_answer / incomplete: nothing new is confirmed, and the last confirmation runs out by itself. Keeping
    // it that long is safe: every peer answered "no API" after that round started, so none can take over
    // before its start + lease + margin, well after the confirmation ends. A round whose answers were slow
    // (a loaded node) therefore costs nothing while the next one confirms.
    this.deps.judged();
  }
}
