// Renews this node's heartbeat Lease (`egress-proxier-node-<node>`) every interval, carrying whatever
// annotations the owner supplies (the published gateway state). Each request has a deadline just under one
// interval, so a hung API server shows up as a failed renewal, not as a stuck loop. Renewals do not overlap
// (an extra one, `renewSoon`, waits for the one in flight), except the recovery probe `renewNow`. The lease is kept on shutdown; a planned
// stop may instead write it with a longer duration (`holdFor`), so that a restart is not taken for a crash.
import { heartbeatLeaseName, leasesPath, microTime, type LeaseObject } from './lease-api.js';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../runner/clock.js';
import { KubeApiError, type KubeClient } from './kube-client.js';

export const HEARTBEAT_LABEL = 'egress.proxier.io/heartbeat';

export interface HeartbeatRenewerOptions {
  namespace: string;
  node: string;
  /** Identity written as holder: the node name (a node has one agent). */
  identity: string;
  renewIntervalMs: number;
  leaseDurationMs: number;
}

export interface HeartbeatListener {
  /** A renewal sent at `requestStartMs` (monotonic) succeeded; `lease` is what the server stored. */
  renewed(requestStartMs: number, lease: LeaseObject): void;
  /** A renewal failed. */
  renewFailed(error: unknown): void;
  /**
   * The annotations to write with a renewal, given the lease as last read or written (`undefined` before the
   * lease exists). Called for every renewal; keys it omits are left as they are.
   */
  annotations(current: LeaseObject | undefined): Readonly<Record<string, string>>;
}

export class HeartbeatRenewer {
  private timer: Timer | undefined;
  private running = false;
  private lease: LeaseObject | undefined;
  /** The renewal in flight, if any; every renewal waits for the previous one. */
  private tail: Promise<unknown> = Promise.resolve();
  private extraRequested = false;
  private unansweredSinceMs: number | undefined;
  private firstAttemptSettled!: () => void;
  /** Settles once the first renewal attempt has succeeded or failed. */
  readonly firstAttempt = new Promise<void>((resolve) => (this.firstAttemptSettled = resolve));

  constructor(
    private readonly client: Pick<KubeClient, 'request'>,
    private readonly options: HeartbeatRenewerOptions,
    private readonly listener: HeartbeatListener,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get leaseName(): string {
    return heartbeatLeaseName(this.options.node);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * When the oldest renewal sent since the last success was sent (monotonic): it hung or failed. Undefined
   * while the last attempt succeeded. The API was already unanswering then, so requests that others completed
   * are older than this (peer-confirmed fencing asks them a little later, docs/failover.md).
   */
  get unansweredSince(): number | undefined {
    return this.unansweredSinceMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    await this.tail;
  }

  /** One renewal as soon as the one in flight (if any) is done, e.g. to publish new annotations. */
  renewSoon(): void {
    if (!this.running || this.extraRequested) return;
    this.extraRequested = true;
    void this.enqueue(async () => {
      this.extraRequested = false;
      if (this.running) await this.attempt(this.defaultDeadlineMs());
    });
  }

  /**
   * One renewal attempt now, with its own deadline: when peers report the API server reachable again, this
   * tells at once whether this agent reaches it too (true) or is cut off. It does not wait for a renewal in
   * flight, which may be one that hung during the outage; if both reach the server, the later write meets
   * a conflict, and is written again once on the lease read back (`renewOnce`).
   */
  async renewNow(deadlineMs: number): Promise<boolean> {
    if (!this.running) return false;
    return this.attempt(deadlineMs);
  }

  /**
   * After `stop()`: one last write that keeps the lease fresh for `holdMs` (a planned restart). Resolves
   * true only if the server stored it; the caller may then extend what it holds in the kernel.
   */
  async holdFor(holdMs: number, deadlineMs: number): Promise<boolean> {
    if (this.running) throw new Error('holdFor is for a stopped renewer');
    const durationMs = Math.max(this.options.leaseDurationMs, holdMs);
    return this.enqueue(() => this.attempt(deadlineMs, durationMs));
  }

  private tick(): void {
    if (!this.running) return;
    const started = this.clock.monotonic();
    void this.enqueue(() => this.attempt(this.defaultDeadlineMs())).finally(() => {
      this.firstAttemptSettled();
      if (!this.running) return;
      // Keep the cadence: the next renewal is due one interval after this one started.
      const wait = Math.max(0, this.options.renewIntervalMs - (this.clock.monotonic() - started));
      this.timer = this.clock.setTimeout(() => this.tick(), wait);
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private defaultDeadlineMs(): number {
    return Math.max(100, this.options.renewIntervalMs - 50);
  }

  /** One renewal; never throws. */
  private async attempt(deadlineMs: number, durationMs = this.options.leaseDurationMs): Promise<boolean> {
    const started = this.clock.monotonic();
    this.unansweredSinceMs ??= started;
    try {
      const stored = await this.renewOnce(started, deadlineMs, durationMs);
      this.unansweredSinceMs = undefined;
      this.listener.renewed(started, stored);
      return true;
    } catch (error) {
      this.listener.renewFailed(error);
      this.logger.warn({ err: error, lease: this.leaseName }, 'heartbeat renewal failed');
      return false;
    }
  }

  private async renewOnce(started: number, deadlineMs: number, durationMs: number): Promise<LeaseObject> {
    const timeoutMs = (): number => Math.max(50, deadlineMs - (this.clock.monotonic() - started));
    const path = leasesPath(this.options.namespace);
    const now = microTime(new Date(this.clock.now()));
    for (let write = 1; ; write++) {
      if (!this.lease) {
        const current = await this.read(timeoutMs());
        if (current === undefined)
          return (this.lease = await this.client.request<LeaseObject>({
            method: 'POST',
            path,
            timeoutMs: timeoutMs(),
            body: this.desired(undefined, now, durationMs),
          }));
        this.lease = current;
      }
      try {
        return (this.lease = await this.client.request<LeaseObject>({
          method: 'PUT',
          path: `${path}/${this.leaseName}`,
          timeoutMs: timeoutMs(),
          body: this.desired(this.lease, now, durationMs),
        }));
      } catch (error) {
        const status = error instanceof KubeApiError ? error.statusCode : undefined;
        // Someone else wrote it (or it was deleted): read it again.
        if (status === 409 || status === 404) this.lease = undefined;
        // A conflict is most often this agent's own earlier write applied late (a server that held requests
        // answers them all when it recovers): write once more within the same deadline, rather than fail the
        // renewal that decides whether this gateway keeps its IPs through the recovery.
        if (status !== 409 || write > 1) throw error;
      }
    }
  }

  /** The lease as the server has it; undefined if it does not exist. */
  private async read(timeoutMs: number): Promise<LeaseObject | undefined> {
    try {
      return await this.client.request<LeaseObject>({
        method: 'GET',
        path: `${leasesPath(this.options.namespace)}/${this.leaseName}`,
        timeoutMs,
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  private desired(current: LeaseObject | undefined, now: string, durationMs: number): LeaseObject {
    const annotations = { ...(current?.metadata.annotations ?? {}), ...this.listener.annotations(current) };
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.leaseName,
        namespace: this.options.namespace,
        ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
        labels: { ...(current?.metadata.labels ?? {}), [HEARTBEAT_LABEL]: 'true' },
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      spec: {
        ...(current?.spec ?? {}),
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(durationMs / 1000),
        renewTime: now,
        ...(current?.spec?.acquireTime ? {} : { acquireTime: now }),
      },
    };
  }
}
