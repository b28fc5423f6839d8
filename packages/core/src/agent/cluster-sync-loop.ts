// The cluster-scope backend's sync loop (e.g. Calico IP pools): it runs only on the leader. The proxier is
// created inside a sync, so a backend that cannot be created (its API is down, a bad option) fails that
// sync: the runner retries it with backoff, the failure shows in metrics, and /healthz turns unhealthy when
// changes stay unserved, instead of a leader that silently never programs anything. The conditions its syncs
// report go to the status writer, their counts to metrics (until this agent stops leading).
import type { Logger } from 'pino';
import type { EgressModel } from '../model/egress-model.js';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import { BackendCountsMetric } from '../observability/backend-counts.js';
import {
  SyncFailedError,
  type ClusterProxier,
  type ClusterProxierPlugin,
  type ProxierContext,
  type SyncReport,
} from '../plugin/proxier.js';
import type { BoundedFrequencyRunner } from '../runner/bounded-frequency-runner.js';
import type { Clock } from '../runner/clock.js';
import { buildClusterEgressTable } from '../table/build-cluster-table.js';
import type { BackendConditionStore } from './backend-conditions.js';
import { SyncRunner } from './sync-runner.js';

export interface ClusterSyncDependencies {
  plugin: ClusterProxierPlugin;
  context: ProxierContext;
  model: EgressModel;
  conditions: BackendConditionStore;
  /** The backend's conditions changed: status must be written again. */
  conditionsChanged(): void;
  clock: Clock;
  logger: Logger;
  metrics: AgentMetrics;
}

export class ClusterSyncLoop {
  private readonly loop: SyncRunner;
  private readonly counts: BackendCountsMetric;
  /** The proxier of the current leadership term; undefined while not leading or not created yet. */
  private proxier: ClusterProxier | undefined;
  private leading = false;
  private term = 0;

  constructor(
    options: { minSyncPeriodMs: number; syncPeriodMs: number },
    private readonly deps: ClusterSyncDependencies,
  ) {
    this.counts = new BackendCountsMetric(deps.metrics.backendCounts, deps.plugin.name);
    this.loop = new SyncRunner(
      { name: 'sync-cluster-proxier', ...options },
      (signal) => this.sync(signal),
      deps,
    );
  }

  get runner(): BoundedFrequencyRunner {
    return this.loop.runner;
  }

  start(): void {
    this.loop.start();
  }

  request(): void {
    this.loop.request();
  }

  startedLeading(): void {
    this.leading = true;
    this.term++;
    this.deps.conditions.clear();
    this.request();
  }

  /** The next leader takes over the datapath; this one stops touching it. */
  stoppedLeading(): void {
    this.leading = false;
    this.term++;
    this.proxier = undefined;
    this.deps.conditions.clear();
    this.counts.clear(); // the next leader's backend counts for itself
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async sync(signal: AbortSignal): Promise<void> {
    if (!this.leading) return;
    const term = this.term;
    // Leadership may move while the proxier is created or the sync runs: the next leader reports for itself.
    const current = (): boolean => term === this.term;
    if (this.proxier === undefined) {
      const created = await this.create();
      if (!current()) return;
      this.proxier = created;
    }
    const proxier = this.proxier;
    const table = buildClusterEgressTable(this.deps.model);
    this.deps.metrics.tablePolicies.set(table.policies.length);
    const names = table.policies.map((policy) => policy.name);
    const record = (report: SyncReport): void => {
      if (current() && this.deps.conditions.record(names, report)) this.deps.conditionsChanged();
    };
    try {
      const report = await proxier.sync(table, signal);
      if (current()) this.counts.record(report.counts);
      record(report);
    } catch (error) {
      if (error instanceof SyncFailedError)
        record({ changed: false, policyConditions: error.policyConditions });
      throw error;
    }
  }

  private async create(): Promise<ClusterProxier> {
    try {
      return await this.deps.plugin.create(this.deps.context);
    } catch (error) {
      throw new Error(`could not create the ${this.deps.plugin.name} proxier: ${message(error)}`, {
        cause: error,
      });
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
