// Cluster-scope backends (one datapath for the whole cluster, run by the leader): a backend that cannot be
// created is retried and reported as failing, not silently skipped; agents without a node name still have
// distinct identities, so exactly one of them leads.
import { expect } from 'chai';
import type { ClusterEgressTable, ClusterProxierPlugin, ProxierContext } from '@egress-proxier/core';
import { AgentCluster, eventually, type RunningAgent } from './support/agent-cluster.js';

/** A cluster-scope plugin whose create() fails `failures` times before it works; it records its syncs. */
function flakyClusterPlugin(failures: number): {
  plugin: ClusterProxierPlugin;
  creates: () => number;
  synced: ClusterEgressTable[];
  contexts: ProxierContext[];
} {
  let attempts = 0;
  const synced: ClusterEgressTable[] = [];
  const contexts: ProxierContext[] = [];
  const plugin: ClusterProxierPlugin = {
    name: 'flaky-cluster',
    description: 'fails to create at first (tests)',
    scope: 'cluster',
    capabilities: ['multipleEgressIPs'],
    create: (context) => {
      contexts.push(context);
      attempts++;
      if (attempts <= failures) throw new Error(`backend API unavailable (attempt ${attempts})`);
      return {
        sync: async (table) => {
          synced.push(table);
          return { changed: true };
        },
        cleanup: async () => undefined,
      };
    },
    render: () => ({ sections: [] }),
  };
  return { plugin, creates: () => attempts, synced, contexts };
}

describe('agent with a cluster-scope backend', function () {
  this.timeout(30_000);
  let cluster: AgentCluster;

  beforeEach(async () => {
    cluster = await AgentCluster.start();
    cluster.putEgress('payments', {
      namespaceSelector: {},
      egressIPs: ['192.0.2.10'],
      failurePolicy: 'FailOpen',
    });
  });
  afterEach(async () => {
    await cluster?.close();
  });

  it('retries a backend that could not be created while leading, and counts the failed syncs', async () => {
    const flaky = flakyClusterPlugin(2);
    const running = await cluster.startAgent('cluster-1', { nodeName: '' }, flaky.plugin);
    await eventually(() => expect(running.agent.isLeader).to.equal(true));
    await eventually(
      () => expect(flaky.synced.at(-1)?.policies.map((p) => p.name)).to.deep.equal(['payments']),
      10_000,
    );
    expect(flaky.creates()).to.equal(3);
    // Nothing is fenced in cluster scope: no address lifetime to offer.
    expect(flaky.contexts[0]).to.not.have.property('addressLifetime');
    const failures = (await running.metrics.syncFailures.get()).values[0]?.value ?? 0;
    expect(failures, 'failed syncs').to.equal(2);
  });

  it('gives agents without a node name distinct identities: exactly one leads', async () => {
    const agents: RunningAgent[] = [];
    for (const name of ['cluster-1', 'cluster-2'])
      agents.push(await cluster.startAgent(name, { nodeName: '' }, flakyClusterPlugin(0).plugin));
    await eventually(() => expect(agents.filter((a) => a.agent.isLeader)).to.have.length(1));
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // several retry periods
    expect(agents.filter((a) => a.agent.isLeader)).to.have.length(1);
    const holder = (
      cluster.api.store.get('coordination.k8s.io/v1', 'Lease', 'egress-proxier-leader', 'egress-proxier')
        ?.spec as {
        holderIdentity?: string;
      }
    ).holderIdentity;
    expect(holder).to.match(/_[0-9a-f-]{36}$/);
  });
});
