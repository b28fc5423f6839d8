// Renews this node's heartbeat Lease (`egress-proxier-node-<node>`) every interval. Each request has a
// deadline just under one interval, so a hung API server shows up as a failed renewal, not as a stuck loop. The
// lease is kept on shutdown: a restarting agent (rolling update) keeps its egress IPs if it is back within
// the lease duration, so a restart does not move traffic.
import { leasesPath, microTime, type LeaseObject } from './lease-api.js';
import type { Logger } from 'pino';
import { KubeApiError, type KubeClient } from './kube-client.js';
import { heartbeatLeaseName } from './lease-liveness.js';

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
  /** A renewal sent at `requestStartMs` (monotonic) succeeded. */
  renewed(requestStartMs: number): void;
  /** A renewal failed. */
  renewFailed(error: unknown): void;
}

export class HeartbeatRenewer {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lease: LeaseObject | undefined;
  private inFlight: Promise<void> | undefined;
  private firstAttemptSettled!: () => void;
  /** Settles once the first renewal attempt has succeeded or failed. */
  readonly firstAttempt = new Promise<void>((resolve) => (this.firstAttemptSettled = resolve));

  constructor(
    private readonly client: KubeClient,
    private readonly options: HeartbeatRenewerOptions,
    private readonly listener: HeartbeatListener,
    private readonly logger: Logger,
  ) {}

  get leaseName(): string {
    return heartbeatLeaseName(this.options.node);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  private tick(): void {
    if (!this.running) return;
    const started = performance.now();
    this.inFlight = this.renewOnce(started).then(
      () => this.listener.renewed(started),
      (error: unknown) => {
        this.listener.renewFailed(error);
        this.logger.warn({ err: error, lease: this.leaseName }, 'heartbeat renewal failed');
      },
    );
    void this.inFlight.finally(() => {
      this.firstAttemptSettled();
      if (!this.running) return;
      // Keep the cadence: the next renewal is due one interval after this one started.
      const wait = Math.max(0, this.options.renewIntervalMs - (performance.now() - started));
      this.timer = setTimeout(() => this.tick(), wait);
    });
  }

  /**
   * One renewal attempt now, outside the regular cadence and with its own deadline: when peers report the API
   * server reachable again, this tells at once whether this agent reaches it too (true) or is cut off (false).
   */
  async renewNow(deadlineMs: number): Promise<boolean> {
    if (!this.running) return false;
    const started = performance.now();
    try {
      await this.renewOnce(started, deadlineMs);
      this.listener.renewed(started);
      return true;
    } catch (error) {
      this.listener.renewFailed(error);
      return false;
    }
  }

  private async renewOnce(
    started: number,
    deadline = Math.max(100, this.options.renewIntervalMs - 50),
  ): Promise<void> {
    const timeoutMs = (): number => Math.max(50, deadline - (performance.now() - started));
    const path = leasesPath(this.options.namespace);
    const now = microTime();
    if (!this.lease) {
      try {
        this.lease = await this.client.request<LeaseObject>({
          method: 'GET',
          path: `${path}/${this.leaseName}`,
          timeoutMs: timeoutMs(),
        });
      } catch (error) {
        if (!(error instanceof KubeApiError && error.statusCode === 404)) throw error;
        this.lease = await this.client.request<LeaseObject>({
          method: 'POST',
          path,
          timeoutMs: timeoutMs(),
          body: this.desired(undefined, now),
        });
        return;
      }
    }
    try {
      this.lease = await this.client.request<LeaseObject>({
        method: 'PUT',
        path: `${path}/${this.leaseName}`,
        timeoutMs: timeoutMs(),
        body: this.desired(this.lease, now),
      });
    } catch (error) {
      // Someone else wrote it (or it was deleted): read it again next time.
      if (error instanceof KubeApiError && (error.statusCode === 409 || error.statusCode === 404))
        this.lease = undefined;
      throw error;
    }
  }

  private desired(current: LeaseObject | undefined, now: string): LeaseObject {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.leaseName,
        namespace: this.options.namespace,
        ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
        labels: { ...(current?.metadata.labels ?? {}), [HEARTBEAT_LABEL]: 'true' },
      },
      spec: {
        ...(current?.spec ?? {}),
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
        renewTime: now,
        ...(current?.spec?.acquireTime ? {} : { acquireTime: now }),
      },
    };
  }
}
