// The node backend's sync loop: on every change (coalesced and rate-limited by a BoundedFrequencyRunner with
// kube-proxy's burst of 2), build this node's table from the model and the fencing controller's gateway
// view, hand it to the proxier through the NodeDatapath, and tell the fencing controller what is now
// programmed; the backend's counts become metrics. Periodic runs repair drift.
import type { Logger } from 'pino';
import type { EgressModel } from '../model/egress-model.js';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import { BackendCountsMetric } from '../observability/backend-counts.js';
import type { BoundedFrequencyRunner } from '../runner/bounded-frequency-runner.js';
import type { Clock } from '../runner/clock.js';
import { buildNodeEgressTable } from '../table/build-node-table.js';
import type { FencingController } from '../fencing/fencing-controller.js';
import type { NodeDatapath } from './node-datapath.js';
import { SyncRunner } from './sync-runner.js';

export interface NodeSyncOptions {
  nodeName: string;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
}

export interface NodeSyncDependencies {
  /** The backend's name, for its metrics. */
  backend: string;
  model: EgressModel;
  fencing: FencingController;
  datapath: NodeDatapath;
  clock: Clock;
  logger: Logger;
  metrics: AgentMetrics;
}

/**
 * Syncs that may run back to back before --min-sync-period applies. A hand-over takes two on each node (the
 * hold, then the steer or the SNAT once the gateway is confirmed); one more leaves room for an unrelated
 * change in the same second (kube-proxy's iptables proxier uses 2, with no hand-over to order).
 */
const SYNC_BURST = 3;

export class NodeSyncLoop {
  private readonly loop: SyncRunner;
  private readonly counts: BackendCountsMetric;

  constructor(
    private readonly options: NodeSyncOptions,
    private readonly deps: NodeSyncDependencies,
  ) {
    this.counts = new BackendCountsMetric(deps.metrics.backendCounts, deps.backend);
    this.loop = new SyncRunner(
      { name: 'sync-proxier', ...options, burst: SYNC_BURST },
      (signal) => this.sync(signal),
      deps,
    );
  }

  get runner(): BoundedFrequencyRunner {
    return this.loop.runner;
  }

  start(): void {
    this.loop.start();
    this.loop.request();
  }

  /** Something that can change this node's table happened. */
  request(): void {
    this.loop.request();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async sync(signal: AbortSignal): Promise<void> {
    const { model, fencing, datapath, metrics, clock } = this.deps;
    const decision = fencing.gatewayView();
    const table = buildNodeEgressTable(model, this.options.nodeName, decision.view);
    // Come back when a hold or a drain ends by time alone.
    if (decision.nextChangeAt !== undefined)
      this.loop.retryAfter(Math.max(0, decision.nextChangeAt - clock.monotonic()));
    const accepted = model.acceptedPolicies().length;
    metrics.acceptedPolicies.set({ accepted: 'true' }, accepted);
    metrics.acceptedPolicies.set({ accepted: 'false' }, model.policyNames().length - accepted);
    metrics.tablePolicies.set(new Set(table.rules.map((rule) => rule.policy)).size);
    metrics.tableSourceIPs.set(table.sourceSets.reduce((n, set) => n + set.addresses.length, 0));
    metrics.tableRules.set(table.rules.length);
    this.deps.logger.debug({ hosted: table.hostedEgressIPs.map((hosted) => hosted.ip) }, 'syncing');
    const report = await datapath.sync(table, signal);
    this.counts.record(report.counts);
    metrics.hostedEgressIPs.set(table.hostedEgressIPs.length);
    fencing.synced(table);
    this.deps.logger.debug({ changed: report.changed, counts: report.counts }, 'synced');
  }
}
