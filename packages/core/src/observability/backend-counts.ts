// `SyncReport.counts` as a metric: each successful sync sets one gauge series per count it reported, and
// removes the series of counts it no longer reports, so a kind the backend stopped counting does not linger
// at its last value. A failed sync changes nothing (the datapath is still what the last success made it).
import type { Gauge } from 'prom-client';

export class BackendCountsMetric {
  private kinds = new Set<string>();

  constructor(
    private readonly gauge: Gauge<'backend' | 'kind'>,
    private readonly backend: string,
  ) {}

  /** The counts of a successful sync; undefined when it reported none. Non-finite values are left out. */
  record(counts: Readonly<Record<string, number>> | undefined): void {
    const kinds = new Set<string>();
    for (const [kind, value] of Object.entries(counts ?? {})) {
      // A plain-JS plugin may report anything; a gauge holds numbers only.
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      this.gauge.set({ backend: this.backend, kind }, value);
      kinds.add(kind);
    }
    for (const kind of this.kinds) if (!kinds.has(kind)) this.gauge.remove({ backend: this.backend, kind });
    this.kinds = kinds;
  }

  /** The datapath is no longer this agent's to describe (a cluster-scope leader stepped down). */
  clear(): void {
    this.record(undefined);
  }
}
