// Peer-confirmed fencing (docs/failover.md, "Peer-confirmed fencing"). A gateway that cannot renew its
// heartbeat cannot tell "I alone am cut off" (someone will take my IPs over: fence) from "the API server is
// down for everybody" (nobody can take over: keep the datapath). It asks the other agents directly, over
// their health port: each answers whether it reaches the API server right now.
//
// - The answering side (`ApiReachability`): reachable = this agent completed a request to the API server
//   (a heartbeat renewal, a list, a probe; not a watch event, which an open stream may deliver while new
//   requests hang) within `freshMs`; if not, it makes one now (a GET
//   of its heartbeat lease, `probeTimeoutMs`) and answers with the outcome. A peer never answers "false" from
//   stale knowledge while it could reach the API: that would be the unsafe mistake.
// - The asking side (`PeerChecker`, `judgePeerAnswers`): every node with a heartbeat lease is asked; the
//   round confirms a full outage only if some peer answered, none answered `apiReachable: true`, and every
//   peer this agent still judges live answered (a silent live peer might be the one taking over).
// - Entitlement (`selfEntitlement`): this agent counts itself live while its own renewal is recent enough (the
//   self-fence deadline) or while a confirming round is recent enough.

import type { Clock } from '../runner/clock.js';
import type { PeerApiStatus } from '../observability/http-endpoints.js';

export type { PeerApiStatus } from '../observability/http-endpoints.js';

/** Outcome of one round of peer checks (also the `outcome` label of `egress_proxier_peer_checks_total`). */
export type PeerVerdict = 'full_outage' | 'cut_off' | 'no_answer' | 'incomplete';

export interface PeerAnswer {
  node: string;
  /** This agent judges the peer's heartbeat lease fresh (its frozen view, during an outage). */
  live: boolean;
  /** Undefined: no (valid) answer within the timeout. */
  status: PeerApiStatus | undefined;
}

export function judgePeerAnswers(answers: readonly PeerAnswer[]): PeerVerdict {
  const answered = answers.filter((a) => a.status !== undefined);
  if (answered.some((a) => a.status?.apiReachable === true)) return 'cut_off';
  if (answered.length === 0) return 'no_answer';
  if (answers.some((a) => a.live && a.status === undefined)) return 'incomplete';
  return 'full_outage';
}

export interface EntitlementInput {
  now: number;
  selfFencing: boolean;
  /** Last successful renewal (sent) + lease duration − fence margin; undefined before the first renewal. */
  renewalDeadline: number | undefined;
  /** Until when the last round that confirmed a full outage counts; undefined when none does. */
  peerConfirmedUntil: number | undefined;
}

/** Why this agent may act as a gateway now: by its own renewal, by its peers' confirmation, or not at all. */
export type Entitlement = 'renewal' | 'peers' | 'none';

export function selfEntitlement(input: EntitlementInput): Entitlement {
  if (!input.selfFencing) return 'renewal';
  if (input.renewalDeadline !== undefined && input.now < input.renewalDeadline) return 'renewal';
  if (input.peerConfirmedUntil !== undefined && input.now < input.peerConfirmedUntil) return 'peers';
  return 'none';
}

/** `node` → base URL of its agent's health server (`http://10.0.0.5:10266`); undefined: cannot be asked. */
export type PeerUrlResolver = (node: string) => string | undefined;

export function peerUrlFromAddress(address: string, port: number): string {
  return address.includes(':') ? `http://[${address}]:${port}` : `http://${address}:${port}`;
}

export class PeerChecker {
  constructor(
    private readonly options: { timeoutMs: number; resolve: PeerUrlResolver },
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Asks every peer at once; resolves within the timeout with one answer per peer. */
  async round(peers: readonly { node: string; live: boolean }[]): Promise<PeerAnswer[]> {
    return Promise.all(peers.map(async (peer) => ({ ...peer, status: await this.ask(peer.node) })));
  }

  private async ask(node: string): Promise<PeerApiStatus | undefined> {
    const base = this.options.resolve(node);
    if (base === undefined) return undefined;
    try {
      const response = await this.fetchImpl(`${base}/peer/api-status`, {
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (!response.ok) return undefined;
      const body = (await response.json()) as Partial<PeerApiStatus>;
      // A misrouted address (another node answering) is no answer at all.
      if (body.node !== node || typeof body.apiReachable !== 'boolean') return undefined;
      return { node, apiReachable: body.apiReachable };
    } catch {
      return undefined;
    }
  }
}

export interface ApiReachabilityOptions {
  /** A completed API request this recent answers "reachable" without asking the API server again. */
  freshMs: number;
  probeTimeoutMs: number;
  /** One request to the API server; resolves if the server answered. */
  probe(timeoutMs: number): Promise<void>;
  clock: Clock;
}

export class ApiReachability {
  private lastContactMs: number | undefined;
  private probing: Promise<boolean> | undefined;

  constructor(private readonly options: ApiReachabilityOptions) {}

  private now(): number {
    return this.options.clock.monotonic();
  }

  /** A request to the API server completed (a renewal, a list, a probe). */
  contact(): void {
    this.lastContactMs = this.now();
  }

  get lastContact(): number | undefined {
    return this.lastContactMs;
  }

  /** Whether this agent reaches the API server now (at most one probe in flight, shared by askers). */
  async reachable(): Promise<boolean> {
    if (this.lastContactMs !== undefined && this.now() - this.lastContactMs < this.options.freshMs)
      return true;
    this.probing ??= this.options.probe(this.options.probeTimeoutMs).then(
      () => {
        this.contact();
        return true;
      },
      () => false,
    );
    const probing = this.probing;
    try {
      return await probing;
    } finally {
      if (this.probing === probing) this.probing = undefined;
    }
  }
}
