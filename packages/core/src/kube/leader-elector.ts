// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection package (client-node
// has none): try to acquire or renew every `retryPeriodMs` with resourceVersion-checked writes; another
// holder's lease counts as expired only `leaseDurationSeconds` after this agent *observed* its last change
// (its own clock, never the remote renewTime); a leader that cannot renew within `renewDeadlineMs` stops
// leading; on shutdown the leader releases the lease so a successor need not wait for it to expire.
import { leasePath, leasesPath, microTime, type LeaseObject } from './lease-api.js';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../runner/clock.js';
import { KubeApiError, type KubeClient } from './kube-client.js';

export interface LeaderElectorOptions {
  namespace: string;
  leaseName: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeadershipCallbacks {
  startedLeading(): void;
  stoppedLeading(): void;
}

export class LeaderElector {
  private leading = false;
  private running = false;
  private timer: Timer | undefined;
  private inFlight: Promise<void> | undefined;
  private observedRecord = '';
  private observedAtMs = 0;
  private observedLease: LeaseObject | undefined;
  private lastRenewMs = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectorOptions,
    private readonly callbacks: LeadershipCallbacks,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    if (!(
      options.leaseDurationMs > options.renewDeadlineMs && options.renewDeadlineMs > options.retryPeriodMs
    ))
      throw new RangeError('leader election needs leaseDuration > renewDeadline > retryPeriod');
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** Stops trying; a leader releases the lease (holder emptied, duration 1 s) and stops leading. */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    await this.inFlight;
    if (!this.leading) return;
    this.setLeading(false);
    const lease = this.observedLease;
    if (!lease) return;
    try {
      await this.client.request({
        method: 'PUT',
        path: this.leasePath(),
        timeoutMs: this.options.retryPeriodMs,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: microTime(new Date(this.clock.now())),
          },
        },
      });
      this.logger.info({ lease: this.options.leaseName }, 'released leadership');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not release the leader lease; it will expire');
    }
  }

  private tick(): void {
    if (!this.running) return;
    this.inFlight = this.tryAcquireOrRenew().then(
      (held) => {
        const now = this.clock.monotonic();
        if (held) this.lastRenewMs = now;
        if (held && !this.leading) this.setLeading(true);
        if (!held && this.leading) this.setLeading(false);
      },
      (error: unknown) => {
        this.logger.debug({ err: error }, 'leader election attempt failed');
        if (this.leading && this.clock.monotonic() - this.lastRenewMs > this.options.renewDeadlineMs) {
          this.logger.warn('could not renew leadership within the renew deadline: stepping down');
          this.setLeading(false);
        }
      },
    );
    void this.inFlight.finally(() => {
      if (this.running) this.timer = this.clock.setTimeout(() => this.tick(), this.options.retryPeriodMs);
    });
  }

  private setLeading(value: boolean): void {
    this.leading = value;
    this.logger.info(
      { lease: this.options.leaseName, leading: value },
      value ? 'became leader' : 'stopped leading',
    );
    if (value) this.callbacks.startedLeading();
    else this.callbacks.stoppedLeading();
  }

  private leasePath(): string {
    return leasePath(this.options.namespace, this.options.leaseName);
  }

  /** True when this agent holds the lease after the attempt. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const timeoutMs = this.options.retryPeriodMs;
    const now = microTime(new Date(this.clock.now()));
    const durationSeconds = Math.ceil(this.options.leaseDurationMs / 1000);
    let lease: LeaseObject;
    try {
      lease = await this.client.request<LeaseObject>({ method: 'GET', path: this.leasePath(), timeoutMs });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode === 404)) throw error;
      const created = await this.client.request<LeaseObject>({
        method: 'POST',
        path: leasesPath(this.options.namespace),
        timeoutMs,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.options.leaseName, namespace: this.options.namespace },
          spec: {
            holderIdentity: this.options.identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        },
      });
      this.observe(created);
      return true;
    }
    this.observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const heldByUs = holder === this.options.identity;
    const expired =
      holder === '' ||
      this.clock.monotonic() > this.observedAtMs + Math.max(1, spec.leaseDurationSeconds ?? 1) * 1000;
    if (!heldByUs && !expired) return false;
    const updated = await this.client.request<LeaseObject>({
      method: 'PUT',
      path: this.leasePath(),
      timeoutMs,
      body: {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: this.options.identity,
          leaseDurationSeconds: durationSeconds,
          renewTime: now,
          acquireTime: heldByUs ? spec.acquireTime : now,
          leaseTransitions: heldByUs ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
        },
      },
    });
    this.observe(updated);
    return true;
  }

  private observe(lease: LeaseObject): void {
    this.observedLease = lease;
    const record = JSON.stringify(lease.spec ?? {});
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAtMs = this.clock.monotonic();
    }
  }
}
