// A whole-API outage of 60 s (real timers): broken and refused connections for every agent, far longer than
// the 3 s lease, the watchdogs and the watch backoff. Agents run with self-fencing off (docs/failover.md:
// with it on, a gateway that cannot renew withdraws its IPs, since it cannot tell a full outage from being
// cut off alone).
import { expect } from 'chai';
import { AgentCluster, eventually, sleep, NODES } from './support/agent-cluster.js';

describe('agent through an API outage', function () {
  this.timeout(120_000);
  let cluster: AgentCluster;

  before(async () => {
    cluster = await AgentCluster.start();
    cluster.putPod('payments', 'client-1', 'node-a', '10.244.1.5', { app: 'db-client' });
    cluster.putEgress('payments', {
      podSelector: { matchLabels: { app: 'db-client' } },
      egressIPs: ['192.0.2.10'],
    });
    for (const node of NODES) await cluster.startAgent(node.name, { selfFencing: false });
  });

  after(async () => {
    await cluster?.close();
  });

  it('keeps the datapath through an API outage and catches up', async () => {
    await eventually(() => {
      expect(cluster.agent('node-a').backend.last?.sourceSets).to.have.length(1);
      const hosts = [...cluster.agents.values()].filter((a) => a.backend.last?.hostedEgressIPs.length === 1);
      expect(hosts).to.have.length(1);
    });
    await sleep(500);
    const before = new Map([...cluster.agents.values()].map((a) => [a.node, JSON.stringify(a.backend.last)]));
    const outageStart = performance.now();
    // Every agent loses the API at once (all connections die, new ones are refused): the server's own
    // 'refuse' pause would leave established keep-alive connections working for some agents.
    for (const running of cluster.agents.values()) running.proxy.cut();
    await sleep(60_000);
    for (const running of cluster.agents.values()) running.proxy.restore();
    for (const running of cluster.agents.values()) {
      const during = running.backend.syncs
        .filter((s) => s.at >= outageStart)
        .map((s) => JSON.stringify(s.table));
      for (const table of during) expect(table, running.node).to.equal(before.get(running.node));
      const failures = (await running.metrics.leaseRenewFailures.get()).values[0]?.value ?? 0;
      expect(failures, `${running.node} noticed the outage`).to.be.greaterThan(2);
    }
    cluster.putPod('payments', 'client-2', 'node-b', '10.244.2.7', { app: 'db-client' });
    await eventually(() => {
      expect(cluster.agent('node-b').backend.last?.sourceSets.flatMap((s) => s.addresses)).to.include(
        '10.244.2.7',
      );
      expect(cluster.egressStatus('payments').selectedPods).to.equal(2);
    }, 15_000);
  });
});
