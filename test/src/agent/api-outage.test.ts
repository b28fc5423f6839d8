// Whole-API outages (real timers), with the default fencing (self-fencing and peer-confirmed fencing on).
// Every agent loses the API at once: broken and refused connections, far longer than the 3 s lease, the
// watchdogs and the watch backoff. The agents still reach each other directly (their health servers are not
// behind the API proxies), so every gateway learns that nobody reaches the API and keeps its egress IPs.
import { expect } from 'chai';
import { AgentCluster, eventually, sleep, NODES, type RunningAgent } from './support/agent-cluster.js';

const IP = '192.0.2.10';

function hostsOf(cluster: AgentCluster): string[] {
  return [...cluster.agents.values()].filter((a) => a.backend.hosted().includes(IP)).map((a) => a.node);
}

async function outcomes(running: RunningAgent): Promise<Record<string, number>> {
  const metric = await running.metrics.peerChecks.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.outcome), v.value]));
}

describe('agent through an API outage', function () {
  this.timeout(120_000);
  let cluster: AgentCluster;

  beforeEach(async () => {
    cluster = await AgentCluster.start();
    cluster.putPod('payments', 'client-1', 'node-a', '10.244.1.5', { app: 'db-client' });
    cluster.putEgress('payments', {
      podSelector: { matchLabels: { app: 'db-client' } },
      egressIPs: [IP],
    });
    for (const node of NODES) await cluster.startAgent(node.name);
  });

  afterEach(async () => {
    await cluster?.close();
  });

  const gatewayElected = (): Promise<RunningAgent> =>
    eventually(() => {
      expect(cluster.agent('node-a').backend.last?.sourceSets).to.have.length(1);
      const hosts = hostsOf(cluster);
      expect(hosts).to.have.length(1);
      return cluster.agent(hosts[0] as string);
    });

  it('keeps the datapath through an API outage and catches up', async () => {
    const gateway = await gatewayElected();
    await sleep(500);
    const before = new Map([...cluster.agents.values()].map((a) => [a.node, JSON.stringify(a.backend.last)]));
    const outageStart = performance.now();
    // Every agent loses the API at once (all connections die, new ones are refused): the server's own
    // 'refuse' pause would leave established keep-alive connections working for some agents.
    for (const running of cluster.agents.values()) running.proxy.cut();
    await sleep(60_000);
    // Kernel lifetimes were renewed all along on the peers' word (lease 3 s ≪ 60 s).
    const heartbeatsDuring = gateway.backend.heartbeats.length;
    for (const running of cluster.agents.values()) running.proxy.restore();
    for (const running of cluster.agents.values()) {
      const during = running.backend.syncs
        .filter((s) => s.at >= outageStart)
        .map((s) => JSON.stringify(s.table));
      expect(during, `${running.node} synced during the outage`).to.have.length.greaterThan(0);
      for (const table of during) expect(table, running.node).to.equal(before.get(running.node));
      const failures = (await running.metrics.leaseRenewFailures.get()).values[0]?.value ?? 0;
      expect(failures, `${running.node} noticed the outage`).to.be.greaterThan(2);
      const checks = await outcomes(running);
      expect(checks.full_outage ?? 0, `${running.node} peer checks`).to.be.greaterThan(50);
      expect(checks.cut_off ?? 0, `${running.node} peer checks`).to.equal(0);
    }
    expect(heartbeatsDuring).to.be.greaterThan(55);
    expect(hostsOf(cluster)).to.deep.equal([gateway.node]);
    cluster.putPod('payments', 'client-2', 'node-b', '10.244.2.7', { app: 'db-client' });
    await eventually(() => {
      expect(cluster.agent('node-b').backend.last?.sourceSets.flatMap((s) => s.addresses)).to.include(
        '10.244.2.7',
      );
      expect(cluster.egressStatus('payments').selectedPods).to.equal(2);
    }, 15_000);
    expect(hostsOf(cluster)).to.deep.equal([gateway.node]);
  });

  it('after an outage, a gateway that recovers last lets go before a peer that recovered first claims', async () => {
    const gateway = await gatewayElected();
    const [first, other] = [...cluster.agents.values()].filter((a) => a.node !== gateway.node) as [
      RunningAgent,
      RunningAgent,
    ];
    for (const running of cluster.agents.values()) running.proxy.cut();
    await sleep(5_000);
    expect(hostsOf(cluster), 'a full outage moves nothing').to.deep.equal([gateway.node]);
    const firstBackAt = performance.now();
    first.proxy.restore();
    const samples: string[][] = [];
    const sampleFor = async (ms: number): Promise<void> => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        samples.push(hostsOf(cluster));
        await sleep(25);
      }
    };
    await sampleFor(5_000);
    // The gateway learned from `first` that the API is back for others, and fenced; `first` took over.
    const withdrawnAt = gateway.backend.firstSync(firstBackAt, (t) => t.hostedEgressIPs.length === 0);
    const claimedAt = first.backend.firstSync(firstBackAt, (t) => t.hostedEgressIPs.length === 1);
    expect(withdrawnAt, 'the gateway withdrew').to.be.a('number');
    expect(claimedAt, `${first.node} claimed`).to.be.a('number');
    expect((claimedAt as number) - (withdrawnAt as number)).to.be.greaterThan(500);
    expect((await outcomes(gateway)).cut_off ?? 0).to.be.greaterThan(0);
    gateway.proxy.restore();
    other.proxy.restore();
    await sampleFor(8_000);
    for (const hosts of samples) expect(hosts.length, JSON.stringify(hosts)).to.be.at.most(1);
    await eventually(() => expect(hostsOf(cluster)).to.have.length(1));
  });
});

describe('agent through an API outage, with --self-fencing=false', function () {
  this.timeout(60_000);
  let cluster: AgentCluster;

  afterEach(async () => {
    await cluster?.close();
  });

  it('a gateway cut off from the API and from its peers keeps its IP: its kernel lifetime is renewed every interval', async () => {
    cluster = await AgentCluster.start();
    cluster.putPod('payments', 'client-1', 'node-a', '10.244.1.5', { app: 'db-client' });
    cluster.putEgress('payments', { podSelector: { matchLabels: { app: 'db-client' } }, egressIPs: [IP] });
    for (const node of NODES) await cluster.startAgent(node.name, { selfFencing: false });
    const gateway = await eventually(() => {
      const hosts = hostsOf(cluster);
      expect(hosts).to.have.length(1);
      return cluster.agent(hosts[0] as string);
    });
    cluster.isolatedFromPeers.add(gateway.node);
    gateway.proxy.cut();
    const cutAt = performance.now();
    await sleep(6_000);
    // The address lifetime is 2 s: without renewals during the outage the kernel would have dropped the IP.
    const renewals = gateway.backend.heartbeatTimes.filter((at) => at > cutAt);
    const gaps = [cutAt, ...renewals].slice(1).map((at, index) => at - ([cutAt, ...renewals][index] ?? at));
    expect(renewals.length, 'lifetime renewals during the 6 s outage').to.be.at.least(5);
    expect(Math.max(...gaps), 'longest gap between renewals (ms)').to.be.lessThan(1_500);
    expect(gateway.backend.hosted(), 'the gateway still hosts the IP').to.deep.equal([IP]);
    gateway.proxy.restore();
  });
});
