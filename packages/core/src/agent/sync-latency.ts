// Programming latency, as kube-proxy reports it: from the first change a sync has not served yet to the
// end of the sync that served it. A failed sync leaves its changes pending.
import type { AgentMetrics } from '../observability/agent-metrics.js';
import type { Clock } from '../runner/clock.js';

export class SyncLatency {
  private pendingChangeAt: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly metrics: AgentMetrics,
  ) {}

  changed(): void {
    const now = this.clock.now();
    this.pendingChangeAt ??= now;
    this.metrics.lastQueuedTimestamp.set(now / 1000);
  }

  async measure(sync: () => Promise<void>): Promise<void> {
    const changeAt = this.pendingChangeAt;
    this.pendingChangeAt = undefined;
    try {
      await sync();
    } catch (error) {
      this.pendingChangeAt = Math.min(changeAt ?? Infinity, this.pendingChangeAt ?? Infinity);
      throw error;
    }
    const now = this.clock.now();
    this.metrics.lastSyncTimestamp.set(now / 1000);
    if (changeAt !== undefined) this.metrics.programmingLatency.observe((now - changeAt) / 1000);
  }
}
