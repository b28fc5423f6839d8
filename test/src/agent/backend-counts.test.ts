// The counts a backend reports with each sync become `egress_proxier_backend_counts{backend,kind}` on the
// agent's /metrics registry: set by every successful sync, kept through a failed one, removed when a report
// stops carrying them. Node scope (every agent) and cluster scope (the leader).
import { expect } from 'chai';
import {
  ALL_CAPABILITIES,
  type AgentMetrics,
  type ClusterProxierPlugin,
  type NodeProxierPlugin,
  type SyncReport,
} from '@egress-proxier/core';
import { AgentCluster, eventually } from './support/agent-cluster.js';

/** What the next syncs answer: a report, or an error to throw. */
interface Script {
  next: SyncReport | Error;
  syncs: number;
}

function answer(script: Script): Promise<SyncReport> {
  script.syncs++;
  return script.next instanceof Error ? Promise.reject(script.next) : Promise.resolve(script.next);
}

async function counts(metrics: AgentMetrics): Promise<Record<string, number>> {
  const { values } = await metrics.backendCounts.get();
  return Object.fromEntries(values.map((v) => [`${v.labels.backend}/${v.labels.kind}`, v.value]));
}

describe('backend counts as metrics', function () {
  this.timeout(30_000);
  let cluster: AgentCluster;

  beforeEach(async () => {
    cluster = await AgentCluster.start();
  });
  afterEach(async () => {
    await cluster?.close();
  });

  it('node scope: every successful sync sets them, a failed one keeps them, a missing kind is removed', async () => {
    const script: Script = { next: { changed: true, counts: { rules: 4, setEntries: 10 } }, syncs: 0 };
    const plugin: NodeProxierPlugin = {
      name: 'counting',
      description: 'reports scripted counts (tests)',
      scope: 'node',
      capabilities: ALL_CAPABILITIES,
      create: () => ({ sync: () => answer(script), cleanup: async () => undefined }),
      render: () => ({ sections: [] }),
    };
    const running = await cluster.startAgent('node-a', { syncPeriodMs: 200, minSyncPeriodMs: 50 }, plugin);
    await eventually(async () =>
      expect(await counts(running.metrics)).to.deep.equal({ 'counting/rules': 4, 'counting/setEntries': 10 }),
    );
    script.next = new Error('iptables-restore: exit code 1');
    const failedFrom = script.syncs;
    await eventually(() => expect(script.syncs).to.be.greaterThan(failedFrom + 1));
    expect(await counts(running.metrics), 'a failed sync changes nothing').to.deep.equal({
      'counting/rules': 4,
      'counting/setEntries': 10,
    });
    script.next = { changed: false, counts: { rules: 5 } };
    await eventually(async () =>
      expect(await counts(running.metrics)).to.deep.equal({ 'counting/rules': 5 }),
    );
    script.next = { changed: false };
    await eventually(async () => expect(await counts(running.metrics)).to.deep.equal({}));
  });

  it('cluster scope: the leader exports the counts of its backend', async () => {
    const script: Script = { next: { changed: true, counts: { pools: 2, poolsCreated: 2 } }, syncs: 0 };
    const plugin: ClusterProxierPlugin = {
      name: 'counting-cluster',
      description: 'reports scripted counts (tests)',
      scope: 'cluster',
      capabilities: ALL_CAPABILITIES,
      create: () => ({ sync: () => answer(script), cleanup: async () => undefined }),
      render: () => ({ sections: [] }),
    };
    const running = await cluster.startAgent('cluster-1', { nodeName: '' }, plugin);
    await eventually(async () =>
      expect(await counts(running.metrics)).to.deep.equal({
        'counting-cluster/pools': 2,
        'counting-cluster/poolsCreated': 2,
      }),
    );
  });
});
