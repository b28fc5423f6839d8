// End-to-end: in-process agents (one per node, each behind its own proxy, each with a recording backend)
// against the in-memory API server.
import { expect } from 'chai';
import {
  AgentCluster,
  condition,
  nodeObject,
  eventually,
  sleep,
  NODES,
  type RunningAgent,
} from './support/agent-cluster.js';

const PAYMENTS = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } },
  podSelector: { matchLabels: { app: 'db-client' } },
  egressIPs: ['192.0.2.10'],
};

function hostsOf(cluster: AgentCluster, ip: string): string[] {
  return [...cluster.agents.values()].filter((a) => a.backend.hosted().includes(ip)).map((a) => a.node);
}

function sourceAddresses(agent: RunningAgent, policy: string): string[] {
  return (agent.backend.last?.sourceSets ?? [])
    .filter((s) => s.policy === policy)
    .flatMap((s) => s.addresses);
}

describe('agent end to end (in-memory API server, recording backend)', function () {
  this.timeout(60_000);
  let cluster: AgentCluster;

  beforeEach(async () => {
    cluster = await AgentCluster.start();
    cluster.putPod('payments', 'client-1', 'node-a', '10.244.1.5', { app: 'db-client' });
    cluster.putPod('payments', 'client-2', 'node-b', '10.244.2.7', { app: 'db-client' });
    cluster.putPod('payments', 'other', 'node-c', '10.244.3.9', { app: 'web' });
    cluster.putEgress('payments', PAYMENTS);
    for (const node of NODES) await cluster.startAgent(node.name);
  });

  afterEach(async () => {
    await cluster?.close();
  });

  it('writes status with assignments and programs exactly one gateway for the IP', async () => {
    const status = await eventually(() => {
      const s = cluster.egressStatus('payments');
      expect(condition(s, 'Ready'), JSON.stringify(s)).to.include({ status: 'True', reason: 'Programmed' });
      return s;
    });
    expect(status.observedGeneration).to.equal(1);
    expect(status.selectedPods).to.equal(2);
    expect(condition(status, 'Accepted')).to.include({ status: 'True', reason: 'Accepted' });
    expect(condition(status, 'Conflicted')).to.include({ status: 'False', reason: 'NoConflict' });
    const gateway = status.assignments?.[0]?.node as string;
    expect(NODES.map((n) => n.name)).to.include(gateway);
    await eventually(() => expect(hostsOf(cluster, '192.0.2.10')).to.deep.equal([gateway]));
    // The gateway's table holds every selected pod; other nodes only their local ones.
    const local: Record<string, string[]> = {
      'node-a': ['10.244.1.5'],
      'node-b': ['10.244.2.7'],
      'node-c': [],
    };
    for (const node of NODES.map((n) => n.name)) {
      const expected = node === gateway ? ['10.244.1.5', '10.244.2.7'] : (local[node] as string[]);
      expect(sourceAddresses(cluster.agent(node), 'payments').sort(), node).to.deep.equal(expected);
    }
    // Heartbeats reach the backend with a kernel lifetime below the 3 s lease.
    expect(cluster.agent(gateway).backend.heartbeats[0]).to.equal(2);
  });

  it('hands the node proxier the lease-derived address lifetime, computed at each call', async () => {
    const gateway = await eventually(() => {
      const hosts = hostsOf(cluster, '192.0.2.10');
      expect(hosts).to.have.length(1);
      return cluster.agent(hosts[0] as string);
    });
    const context = gateway.backend.context;
    expect(context?.addressLifetime, 'set for node proxiers').to.be.a('function');
    const lifetime = (): number => context?.addressLifetime?.() ?? -1;
    // Live: a 3 s lease renewed every second, a 250 ms hand-over margin and the kernel's 1 s of expiry
    // slack leave 2 s right after a renewal and 1 s later in the interval; never more.
    const samples: number[] = [];
    for (let i = 0; i < 60; i++, await sleep(25)) samples.push(lifetime());
    expect(Math.max(...samples), samples.join(',')).to.equal(2);
    // Cut off from the API, no renewal comes: the lifetime it allows runs out by itself.
    gateway.proxy.cut();
    await eventually(() => expect(lifetime()).to.equal(0), 5_000);
    for (let i = 0; i < 20; i++, await sleep(25)) expect(lifetime()).to.equal(0);
  });

  it('moves a pod in and out of a policy when its labels change', async () => {
    await eventually(() => expect(cluster.egressStatus('payments').selectedPods).to.equal(2));
    cluster.putPod('payments', 'other', 'node-c', '10.244.3.9', { app: 'db-client' });
    await eventually(() => {
      expect(cluster.egressStatus('payments').selectedPods).to.equal(3);
      expect(sourceAddresses(cluster.agent('node-c'), 'payments')).to.include('10.244.3.9');
    });
    cluster.putPod('payments', 'client-1', 'node-a', '10.244.1.5', { app: 'other' });
    await eventually(() => {
      expect(cluster.egressStatus('payments').selectedPods).to.equal(2);
      for (const running of cluster.agents.values())
        expect(sourceAddresses(running, 'payments'), running.node).not.to.include('10.244.1.5');
    });
  });

  it('moves the IP of a crashed gateway within lease duration plus a sync', async () => {
    const gateway = await eventually(() => {
      const hosts = hostsOf(cluster, '192.0.2.10');
      expect(hosts).to.have.length(1);
      return hosts[0] as string;
    });
    const killedAt = performance.now();
    await cluster.stopAgent(gateway);
    const newOwner = await eventually(() => {
      const hosts = hostsOf(cluster, '192.0.2.10');
      expect(hosts).to.have.length(1);
      return cluster.agent(hosts[0] as string);
    }, 10_000);
    const claimedAt = newOwner.backend.firstSync(killedAt, (t) =>
      t.hostedEgressIPs.some((h) => h.ip === '192.0.2.10'),
    );
    const elapsed = (claimedAt as number) - killedAt;
    // Lease 3 s (measured from the last observed renewal, ≤ 1 s before the kill) + 0.5 s margin + a sync.
    expect(elapsed)
      .to.be.greaterThan(2_000)
      .and.lessThan(3_000 + 500 + 1_000);
    await eventually(() =>
      expect(cluster.egressStatus('payments').assignments).to.deep.equal([
        { egressIP: '192.0.2.10', node: newOwner.node },
      ]),
    );
  });

  it('a gateway cut off from the API withdraws its IP before another node claims it', async () => {
    const gateway = await eventually(() => {
      const hosts = hostsOf(cluster, '192.0.2.10');
      expect(hosts).to.have.length(1);
      return cluster.agent(hosts[0] as string);
    });
    const cutAt = performance.now();
    gateway.proxy.cut();
    const newOwner = await eventually(() => {
      const hosts = hostsOf(cluster, '192.0.2.10').filter((n) => n !== gateway.node);
      expect(hosts).to.have.length(1);
      return cluster.agent(hosts[0] as string);
    }, 10_000);
    const hosting = (t: { hostedEgressIPs: { ip: string }[] }): boolean =>
      t.hostedEgressIPs.some((h) => h.ip === '192.0.2.10');
    const withdrawnAt = gateway.backend.firstSync(cutAt, (t) => !hosting(t));
    const claimedAt = newOwner.backend.firstSync(cutAt, hosting);
    expect(withdrawnAt, 'the cut-off gateway withdrew').to.be.a('number');
    // Fencing: the old owner let go first, with a margin (lease 3 s − fence margin 1 s vs lease 3 s + 0.5 s).
    expect((claimedAt as number) - (withdrawnAt as number)).to.be.greaterThan(500);
    expect((await gateway.metrics.leaseRenewFailures.get()).values[0]?.value).to.be.greaterThan(0);
    // Its peers reach the API and said so: it knew it was cut off alone.
    const cutOff = (await gateway.metrics.peerChecks.get()).values.find(
      (v) => v.labels.outcome === 'cut_off',
    );
    expect(cutOff?.value ?? 0).to.be.greaterThan(0);
    // Back on the API: it renews, and the interim owner, a healthy holder, keeps the IP (no second outage):
    // at every sampled moment exactly that node hosts it.
    gateway.proxy.restore();
    const deadline = performance.now() + 6_000;
    while (performance.now() < deadline) {
      expect(hostsOf(cluster, '192.0.2.10')).to.deep.equal([newOwner.node]);
      await sleep(25);
    }
  });

  it('a gateway cut off from the API and from its peers fences as without peers', async () => {
    const gateway = await eventually(() => {
      const hosts = hostsOf(cluster, '192.0.2.10');
      expect(hosts).to.have.length(1);
      return cluster.agent(hosts[0] as string);
    });
    cluster.isolatedFromPeers.add(gateway.node);
    const cutAt = performance.now();
    gateway.proxy.cut();
    const newOwner = await eventually(() => {
      const hosts = hostsOf(cluster, '192.0.2.10').filter((n) => n !== gateway.node);
      expect(hosts).to.have.length(1);
      return cluster.agent(hosts[0] as string);
    }, 10_000);
    const hosting = (t: { hostedEgressIPs: { ip: string }[] }): boolean =>
      t.hostedEgressIPs.some((h) => h.ip === '192.0.2.10');
    const withdrawnAt = gateway.backend.firstSync(cutAt, (t) => !hosting(t));
    const claimedAt = newOwner.backend.firstSync(cutAt, hosting);
    expect(withdrawnAt, 'the cut-off gateway withdrew').to.be.a('number');
    // Fenced on its renewal deadline (lease − fence margin ≤ 2 s after the cut), as without peer checks.
    expect((withdrawnAt as number) - cutAt).to.be.lessThan(2_000 + 1_000);
    expect((claimedAt as number) - (withdrawnAt as number)).to.be.greaterThan(500);
    const checks = (await gateway.metrics.peerChecks.get()).values;
    const count = (outcome: string): number => checks.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    expect(count('no_answer')).to.be.greaterThan(0);
    expect(count('full_outage')).to.equal(0);
  });

  it('rejects invalid specs with Accepted=False and keeps other policies working', async () => {
    cluster.putEgress('in-pod-cidr', { ...PAYMENTS, egressIPs: ['10.244.7.7'] });
    cluster.putEgress('node-ip', { ...PAYMENTS, egressIPs: ['198.51.100.12'] });
    // What the CRD itself can say never reaches the agent: the API server refuses it, as a real one does
    // (the agent's own checks of such specs are validate-egress.test.ts's).
    expect(() => cluster.putEgress('no-selectors', { egressIPs: ['192.0.2.20'] })).to.throw(
      'Egress.egress.proxier.io "no-selectors" is invalid: spec: Required value: at least one of namespaceSelector and podSelector must be set',
    );
    expect(() => cluster.putEgress('bad-ip', { ...PAYMENTS, egressIPs: ['300.1.2.3'] })).to.throw(
      'Egress.egress.proxier.io "bad-ip" is invalid: spec.egressIPs[0]: Invalid value: "string": must be an IPv4 or IPv6 address in canonical form',
    );
    await eventually(() => {
      expect(condition(cluster.egressStatus('in-pod-cidr'), 'Accepted')).to.include({
        status: 'False',
        reason: 'EgressIPInClusterRange',
      });
      expect(condition(cluster.egressStatus('node-ip'), 'Accepted')).to.include({
        status: 'False',
        reason: 'EgressIPIsNodeIP',
      });
      expect(condition(cluster.egressStatus('payments'), 'Ready')).to.include({
        status: 'True',
        reason: 'Programmed',
      });
    });
    for (const running of cluster.agents.values()) {
      const policies = new Set((running.backend.last?.rules ?? []).map((r) => r.policy));
      expect([...policies].filter((p) => p !== 'payments')).to.deep.equal([]);
    }
    expect(hostsOf(cluster, '192.0.2.10')).to.have.length(1);
  });

  it('makes no status writes in a steady state', async () => {
    await eventually(() =>
      expect(condition(cluster.egressStatus('payments'), 'Ready')?.status).to.equal('True'),
    );
    await sleep(1_500);
    const writes = async (): Promise<number> => {
      let total = 0;
      for (const running of cluster.agents.values()) {
        const metric = await running.metrics.statusWrites.get();
        total += metric.values.reduce((n, v) => n + v.value, 0);
      }
      return total;
    };
    const before = await writes();
    const rvBefore = cluster.api.store.get('egress.proxier.io/v1alpha1', 'Egress', 'payments')?.metadata
      .resourceVersion;
    await sleep(3_000);
    expect(await writes()).to.equal(before);
    expect(
      cluster.api.store.get('egress.proxier.io/v1alpha1', 'Egress', 'payments')?.metadata.resourceVersion,
    ).to.equal(rvBefore);
  });

  it('survives forced 410s and dropped watches, and catches up', async () => {
    await eventually(() => expect(cluster.egressStatus('payments').selectedPods).to.equal(2));
    cluster.api.faults.expireNextWatch(10);
    cluster.api.faults.dropWatches();
    cluster.putPod('payments', 'client-3', 'node-c', '10.244.3.20', { app: 'db-client' });
    await eventually(() => {
      expect(cluster.egressStatus('payments').selectedPods).to.equal(3);
      expect(sourceAddresses(cluster.agent('node-c'), 'payments')).to.include('10.244.3.20');
    });
    cluster.api.faults.dropWatches();
    cluster.api.store.delete('v1', 'Pod', 'client-3', 'payments');
    await eventually(() => expect(sourceAddresses(cluster.agent('node-c'), 'payments')).to.deep.equal([]));
    const restarts = await cluster.agent('node-c').metrics.watchRestarts.get();
    const reasons = new Set(restarts.values.map((v) => v.labels.reason));
    expect(reasons.has('expired') || reasons.has('error') || reasons.has('closed')).to.equal(true);
  });
  it('renews heartbeat leases only on nodes that may be gateways', async () => {
    // node-a and node-c lose the default gateway label, which alone would keep them renewing.
    for (const node of NODES.filter((n) => n.name !== 'node-b'))
      cluster.api.store.put(nodeObject(node.name, node.ip, node.podCIDR, {}));
    cluster.putEgress('payments', {
      ...PAYMENTS,
      gatewayNodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node-b' } },
    });
    await eventually(() => expect(hostsOf(cluster, '192.0.2.10')).to.deep.equal(['node-b']));
    const renewTime = (node: string): unknown =>
      (
        cluster.api.store.get(
          'coordination.k8s.io/v1',
          'Lease',
          `egress-proxier-node-${node}`,
          'egress-proxier',
        )?.spec as { renewTime?: unknown } | undefined
      )?.renewTime;
    await sleep(1_500);
    const before = new Map(NODES.map((n) => [n.name, renewTime(n.name)]));
    await sleep(2_500);
    expect(renewTime('node-b')).to.not.equal(before.get('node-b'));
    expect(renewTime('node-a')).to.equal(before.get('node-a'));
    expect(renewTime('node-c')).to.equal(before.get('node-c'));
  });
});
