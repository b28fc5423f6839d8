// SyncReport.counts as the gauge `egress_proxier_backend_counts{backend,kind}`, read back through the
// registry's exposition text as Prometheus would scrape it.
import { expect } from 'chai';
import { AgentMetrics } from '../../src/observability/agent-metrics.js';
import { BackendCountsMetric } from '../../src/observability/backend-counts.js';

async function series(metrics: AgentMetrics): Promise<string[]> {
  const text = await metrics.registry.getSingleMetricAsString('egress_proxier_backend_counts');
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('BackendCountsMetric', () => {
  it('sets one series per count, and removes the counts a later report no longer has', async () => {
    const metrics = new AgentMetrics();
    const counts = new BackendCountsMetric(metrics.backendCounts, 'iptables');
    counts.record({ rules: 12, setEntries: 3000, commands: 2 });
    expect(await series(metrics)).to.deep.equal([
      'egress_proxier_backend_counts{backend="iptables",kind="rules"} 12',
      'egress_proxier_backend_counts{backend="iptables",kind="setEntries"} 3000',
      'egress_proxier_backend_counts{backend="iptables",kind="commands"} 2',
    ]);
    counts.record({ rules: 14, sets: 1 });
    expect(await series(metrics)).to.deep.equal([
      'egress_proxier_backend_counts{backend="iptables",kind="rules"} 14',
      'egress_proxier_backend_counts{backend="iptables",kind="sets"} 1',
    ]);
  });

  it('a report without counts removes them all; so does clear', async () => {
    const metrics = new AgentMetrics();
    const counts = new BackendCountsMetric(metrics.backendCounts, 'calico');
    counts.record({ pools: 3 });
    counts.record(undefined);
    expect(await series(metrics)).to.deep.equal([]);
    counts.record({ pools: 3 });
    counts.clear();
    expect(await series(metrics)).to.deep.equal([]);
  });

  it('leaves out what is not a finite number (a plain-JS plugin may report anything)', async () => {
    const metrics = new AgentMetrics();
    const counts = new BackendCountsMetric(metrics.backendCounts, 'mydp');
    counts.record({ rules: 1, broken: Number.NaN, text: '7' as unknown as number, huge: Infinity });
    expect(await series(metrics)).to.deep.equal([
      'egress_proxier_backend_counts{backend="mydp",kind="rules"} 1',
    ]);
    // A count that turns invalid is removed like one that disappeared.
    counts.record({ rules: Number.NaN });
    expect(await series(metrics)).to.deep.equal([]);
  });
});
