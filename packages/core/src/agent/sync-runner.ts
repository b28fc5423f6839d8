// What the node and the cluster sync loops share: a BoundedFrequencyRunner around their sync, with
// programming latency (from the first unserved change), sync duration and failure metrics.
import type { Logger } from 'pino';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import { BoundedFrequencyRunner } from '../runner/bounded-frequency-runner.js';
import type { Clock } from '../runner/clock.js';
import { SyncLatency } from './sync-latency.js';

export interface SyncRunnerOptions {
  name: string;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  /** Syncs that may run back to back before the minimum period applies. */
  burst?: number;
}

export class SyncRunner {
  readonly runner: BoundedFrequencyRunner;
  private readonly latency: SyncLatency;

  constructor(
    options: SyncRunnerOptions,
    sync: (signal: AbortSignal) => Promise<void>,
    deps: { clock: Clock; logger: Logger; metrics: AgentMetrics },
  ) {
    this.latency = new SyncLatency(deps.clock, deps.metrics);
    this.runner = new BoundedFrequencyRunner(
      (signal) => this.latency.measure(() => sync(signal)),
      {
        name: options.name,
        minIntervalMs: options.minSyncPeriodMs,
        maxIntervalMs: options.syncPeriodMs,
        retryInitialMs: 1_000,
        retryMaxMs: 30_000,
        ...(options.burst === undefined ? {} : { burst: options.burst }),
      },
      { clock: deps.clock, logger: deps.logger },
    );
    this.runner.onRunFinished((outcome) => {
      deps.metrics.syncDuration.observe(outcome.durationMs / 1000);
      if (!outcome.ok) deps.metrics.syncFailures.inc();
    });
  }

  start(): void {
    this.runner.start();
  }

  /** Something that can change the table happened. */
  request(): void {
    this.latency.changed();
    this.runner.run();
  }

  /** Come back no later than `delayMs` (a hold or a drain that ends by time alone). */
  retryAfter(delayMs: number): void {
    this.runner.retryAfter(delayMs);
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }
}
