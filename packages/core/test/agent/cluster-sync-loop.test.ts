// The leader's cluster sync loop and the counts its backend reports: exported while it leads, gone when it
// steps down (the next leader's backend describes the datapath from then on).
import { expect } from 'chai';
import { BackendConditionStore } from '../../src/agent/backend-conditions.js';
import { ClusterSyncLoop } from '../../src/agent/cluster-sync-loop.js';
import { silentLogger } from '../../src/logging/logger.js';
import { EgressModel } from '../../src/model/egress-model.js';
import { AgentMetrics } from '../../src/observability/agent-metrics.js';
import type { ClusterProxierPlugin } from '../../src/plugin/proxier.js';
import { systemClock } from '../../src/runner/clock.js';
import { RecordingExec } from '../../src/testing/recording-exec.js';

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ClusterSyncLoop', () => {
  it('exports the backend counts while leading and removes them when it stops leading', async () => {
    const metrics = new AgentMetrics();
    let syncs = 0;
    const plugin: ClusterProxierPlugin = {
      name: 'pools',
      description: 'test',
      scope: 'cluster',
      capabilities: [],
      create: () => ({
        sync: async () => (syncs++, { changed: true, counts: { pools: 3 } }),
        cleanup: async () => undefined,
      }),
      render: () => ({ sections: [] }),
    };
    const logger = silentLogger();
    const loop = new ClusterSyncLoop(
      { minSyncPeriodMs: 10, syncPeriodMs: 60_000 },
      {
        plugin,
        context: { nodeName: '', exec: new RecordingExec(), logger, clock: systemClock, options: {} },
        model: new EgressModel({ clusterCIDRs: [] }),
        conditions: new BackendConditionStore(),
        conditionsChanged: () => undefined,
        clock: systemClock,
        logger,
        metrics,
      },
    );
    const exported = async (): Promise<string[]> =>
      (await metrics.backendCounts.get()).values.map(
        (v) => `${v.labels.backend}/${v.labels.kind}=${v.value}`,
      );
    loop.start();
    try {
      loop.request();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(syncs, 'not leading: no sync').to.equal(0);
      expect(await exported()).to.deep.equal([]);
      loop.startedLeading();
      await until(async () => (await exported()).length > 0);
      expect(await exported()).to.deep.equal(['pools/pools=3']);
      loop.stoppedLeading();
      expect(await exported()).to.deep.equal([]);
    } finally {
      await loop.stop();
    }
  });
});
