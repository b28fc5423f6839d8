import { statusForCode, type StatusError } from '../api/status-error.js';

/** Which requests a failure rule catches: a path substring or pattern, and a kube verb or HTTP method. */
export interface RequestMatcher {
  path?: string | RegExp;
  verb?: string;
}

export interface FailureRule extends RequestMatcher {
  /** How many matching requests fail; afterwards the rule is gone. */
  count: number;
  /** HTTP status; the body is the Status the real server sends with it (500 → InternalError…). */
  status: number;
  message?: string;
}

export type PauseMode = 'hang' | 'refuse';

/** What the injector needs from the server it disturbs. */
export interface FaultTarget {
  dropWatches(): number;
  closeListener(): Promise<void>;
  reopenListener(): Promise<void>;
}

export interface RequestInfo {
  path: string;
  method: string;
  verb: string;
}

function matches(rule: RequestMatcher, request: RequestInfo): boolean {
  if (rule.verb && rule.verb.toLowerCase() !== request.verb && rule.verb.toUpperCase() !== request.method)
    return false;
  if (rule.path instanceof RegExp) return rule.path.test(request.path);
  return rule.path === undefined || request.path.includes(rule.path);
}

/**
 * Disturbs a running server the way real clusters fail: errors, dropped watches, expired history,
 * hung or refused connections and slowness. Tests call these methods; `/__fault/` exposes them over HTTP.
 */
export class FaultInjector {
  private readonly failures: FailureRule[] = [];
  private goneWatches = 0;
  private latencyMs = 0;
  private paused: PauseMode | undefined;
  private readonly held: Array<() => void> = [];

  constructor(private readonly target: FaultTarget) {}

  /** Fails the next `count` matching requests with `status` and the matching Status body. */
  failNext(rule: FailureRule): void {
    if (rule.count < 1) throw new Error('failNext needs count >= 1');
    this.failures.push({ ...rule });
  }

  /** Closes every open watch connection, as an apiserver restart or a load balancer timeout would. */
  dropWatches(): number {
    return this.target.dropWatches();
  }

  /** The next `count` watches (of any resource) get 410 Expired, whatever resourceVersion they ask for. */
  expireNextWatch(count = 1): void {
    this.goneWatches += count;
  }

  /** Adds a fixed delay before every request is handled (0 removes it). */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** 'hang': requests are accepted and left unanswered until resume; 'refuse': the listener closes. */
  async pause(mode: PauseMode): Promise<void> {
    if (this.paused) throw new Error(`server is already paused (${this.paused})`);
    this.paused = mode;
    if (mode === 'refuse') await this.target.closeListener();
  }

  async resume(): Promise<void> {
    const mode = this.paused;
    this.paused = undefined;
    if (mode === 'refuse') await this.target.reopenListener();
    for (const release of this.held.splice(0)) release();
  }

  /** Clears every pending fault; a paused server resumes. */
  async reset(): Promise<void> {
    this.failures.length = 0;
    this.goneWatches = 0;
    this.latencyMs = 0;
    if (this.paused) await this.resume();
  }

  isPaused(): PauseMode | undefined {
    return this.paused;
  }

  /** Waits out latency and a 'hang' pause; called before each API request. */
  async beforeRequest(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.paused === 'hang') await new Promise<void>((release) => this.held.push(release));
  }

  /** The injected error for this request, consuming one count of the first matching rule. */
  takeFailure(request: RequestInfo): StatusError | undefined {
    const index = this.failures.findIndex((r) => matches(r, request));
    const rule = this.failures[index];
    if (!rule) return undefined;
    rule.count--;
    if (rule.count === 0) this.failures.splice(index, 1);
    return statusForCode(rule.status, rule.message ?? `injected fault (HTTP ${rule.status})`);
  }

  takeExpiredWatch(): boolean {
    if (this.goneWatches === 0) return false;
    this.goneWatches--;
    return true;
  }
}
