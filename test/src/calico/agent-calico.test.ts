// End to end: two in-process agents with the real calico backend race for leadership against the in-memory
// API server (HTTPS, Calico v3.32.1's CRDs). Only the leader writes pools and status; the Egress status
// carries Calico's conditions next to the core's; a hand-over keeps the pools; every agent, leader or not,
// answers the pod admission webhook over real HTTPS.
import { request } from 'node:https';
import { expect } from 'chai';
import type { KubeObject } from '@egress-proxier/testing';
import { eventually, sleep, type EgressStatusView } from '../agent/support/agent-cluster.js';
import { backendWrites, CalicoAgentCluster, type CalicoAgent } from './support/calico-agents.js';

const POOLS = ['egress-payments-192-0-2-10', 'egress-payments-192-0-2-11'];
const PAYMENTS = {
  namespaceSelector: { matchLabels: { team: 'payments' } },
  podSelector: { matchLabels: { app: 'db-client' } },
  egressIPs: ['192.0.2.10', '192.0.2.11'],
  // FailOpen keeps these pool tests free of the FailClosed guard; its own test below uses the default.
  failurePolicy: 'FailOpen',
};

function putPod(cluster: CalicoAgentCluster, name: string, ip: string): void {
  cluster.api.store.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'payments', labels: { app: 'db-client' } },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'app' }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  } as KubeObject);
}

function status(cluster: CalicoAgentCluster): EgressStatusView {
  return (cluster.api.store.get('egress.proxier.io/v1alpha1', 'Egress', 'payments')?.status ??
    {}) as EgressStatusView;
}

const conditionOf = (s: EgressStatusView, type: string) => s.conditions?.find((c) => c.type === type);

function leaderAndFollower(cluster: CalicoAgentCluster): { leader: CalicoAgent; follower: CalicoAgent } {
  const agents = [...cluster.agents.values()];
  const leaders = agents.filter((a) => a.agent.isLeader);
  expect(
    leaders.map((a) => a.node),
    'exactly one leader',
  ).to.have.length(1);
  const leader = leaders[0] as CalicoAgent;
  return { leader, follower: agents.find((a) => a !== leader) as CalicoAgent };
}

interface PoolVersion {
  name: string;
  uid: string;
  resourceVersion: string;
}

function poolVersions(cluster: CalicoAgentCluster): PoolVersion[] {
  return cluster
    .pools()
    .map((p) => ({
      name: String(p.metadata.name),
      uid: String(p.metadata.uid),
      resourceVersion: String(p.metadata.resourceVersion),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A pod CREATE AdmissionReview POSTed to an agent's webhook, verifying its certificate against `ca`. */
function admit(
  port: number,
  ca: string,
  pod: { namespace: string; labels: Record<string, string> },
): Promise<{ allowed: boolean; patch?: unknown }> {
  const body = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `review-${port}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: pod.namespace,
      object: { metadata: { generateName: 'client-', labels: pod.labels } },
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mutate-pods',
        method: 'POST',
        ca,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            expect(res.statusCode).to.equal(200);
            const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              response: { allowed: boolean; patch?: string };
            };
            const { allowed, patch } = review.response;
            resolve({
              allowed,
              ...(patch === undefined
                ? {}
                : { patch: JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as unknown }),
            });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('agents with the calico backend (in-memory API server over HTTPS, Calico v3.32.1 CRDs)', function () {
  this.timeout(60_000);
  let cluster: CalicoAgentCluster;

  beforeEach(async () => {
    cluster = await CalicoAgentCluster.start();
    cluster.api.store.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments', labels: { team: 'payments' } },
    });
    putPod(cluster, 'client-1', '10.244.1.5');
    cluster.api.store.put({
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      metadata: { name: 'payments' },
      spec: PAYMENTS,
    } as KubeObject);
    await Promise.all([cluster.startAgent('node-a'), cluster.startAgent('node-b')]);
  });

  afterEach(async () => {
    await cluster?.close();
  });

  it('one leader writes the pools and a status with Calico conditions; the other writes nothing', async () => {
    await eventually(() => expect(poolVersions(cluster).map((p) => p.name)).to.deep.equal(POOLS));
    const first = await eventually(() => {
      const s = status(cluster);
      expect(conditionOf(s, 'PodsPendingRecreate'), JSON.stringify(s)).to.include({
        status: 'True',
        reason: 'AddressesOutsidePool',
        message: '1 of 1 selected pods have addresses outside the pool; recreate them',
      });
      return s;
    });
    expect(conditionOf(first, 'Accepted')).to.include({ status: 'True' });
    expect(first.conditions?.slice(0, 3).map((c) => c.type)).to.deep.equal([
      'Accepted',
      'Ready',
      'Conflicted',
    ]);
    const { leader, follower } = leaderAndFollower(cluster);
    expect(backendWrites(leader).filter((w) => w.method === 'POST')).to.have.length(POOLS.length);
    expect(backendWrites(follower), 'writes by the agent that is not the leader').to.deep.equal([]);

    // A pod recreated with a pool address: the count moves, then the condition disappears.
    putPod(cluster, 'client-2', '10.244.1.6');
    await eventually(() =>
      expect(conditionOf(status(cluster), 'PodsPendingRecreate')?.message).to.match(/^2 of 2 /),
    );
    const pendingSince = conditionOf(status(cluster), 'PodsPendingRecreate')?.lastTransitionTime;
    expect(pendingSince, 'kept while the condition holds').to.equal(
      conditionOf(first, 'PodsPendingRecreate')?.lastTransitionTime,
    );
    cluster.api.store.delete('v1', 'Pod', 'client-1', 'payments');
    cluster.api.store.delete('v1', 'Pod', 'client-2', 'payments');
    putPod(cluster, 'client-3', '192.0.2.10');
    await eventually(() => {
      const s = status(cluster);
      expect(conditionOf(s, 'PodsPendingRecreate'), JSON.stringify(s)).to.equal(undefined);
      expect(s.selectedPods).to.equal(1);
    });

    // Steady state: no status writes, no pool writes, on either agent.
    await sleep(500);
    const egressVersion = cluster.api.store.get('egress.proxier.io/v1alpha1', 'Egress', 'payments')?.metadata
      .resourceVersion;
    const pools = poolVersions(cluster);
    const leaderWrites = backendWrites(leader).length;
    await sleep(2_000);
    expect(
      cluster.api.store.get('egress.proxier.io/v1alpha1', 'Egress', 'payments')?.metadata.resourceVersion,
    ).to.equal(egressVersion);
    expect(poolVersions(cluster)).to.deep.equal(pools);
    expect(backendWrites(leader)).to.have.length(leaderWrites);
    expect(backendWrites(follower)).to.deep.equal([]);
  });

  it('accepts a FailClosed Egress (the default), and only the leader writes its guard policy', async () => {
    const { failurePolicy: _openOnPurpose, ...failClosed } = PAYMENTS;
    cluster.api.store.put({
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      metadata: { name: 'payments' },
      spec: failClosed,
    } as KubeObject);
    const guard = await eventually(() => {
      const found = cluster.guards().find((g) => g.metadata.name === 'egress-proxier.egress-payments');
      expect(found, 'guard policy').to.not.equal(undefined);
      return found as KubeObject;
    });
    const spec = guard['spec'] as { tier?: string; selector?: string };
    expect(spec.tier).to.equal('egress-proxier');
    expect(spec.selector).to.include('pcns.team == "payments"').and.to.include('app == "db-client"');
    const s = await eventually(() => {
      const current = status(cluster);
      expect(conditionOf(current, 'Accepted'), JSON.stringify(current)).to.include({ status: 'True' });
      return current;
    });
    expect(conditionOf(s, 'FailClosedNotEnforced'), JSON.stringify(s)).to.equal(undefined);
    const { leader, follower } = leaderAndFollower(cluster);
    expect(backendWrites(leader).some((w) => /globalnetworkpolicies/.test(w.url))).to.equal(true);
    expect(backendWrites(follower), 'writes by the agent that is not the leader').to.deep.equal([]);
  });

  it('hands over to the other agent when the leader stops, keeping the pools and the conditions', async () => {
    const settled = await eventually(() => {
      expect(poolVersions(cluster).map((p) => p.name)).to.deep.equal(POOLS);
      const s = status(cluster);
      expect(conditionOf(s, 'PodsPendingRecreate')).to.include({ status: 'True' });
      return s;
    });
    const { leader, follower } = leaderAndFollower(cluster);
    const pools = poolVersions(cluster);
    await cluster.stopAgent(leader.node);
    // The new leader's first sync lists the pools and finds them as they should be.
    await eventually(() => {
      expect(follower.agent.isLeader).to.equal(true);
      expect(follower.requests.some((r) => r.method === 'GET' && /ippools/.test(r.url))).to.equal(true);
    }, 15_000);
    await sleep(1_000);
    expect(poolVersions(cluster), 'same pools, same versions, no duplicates').to.deep.equal(pools);
    expect(backendWrites(follower)).to.deep.equal([]);
    const after = status(cluster);
    expect(conditionOf(after, 'PodsPendingRecreate')?.lastTransitionTime).to.equal(
      conditionOf(settled, 'PodsPendingRecreate')?.lastTransitionTime,
    );

    // The new leader reports for itself: a second pod moves the count.
    putPod(cluster, 'client-2', '10.244.1.6');
    await eventually(() =>
      expect(conditionOf(status(cluster), 'PodsPendingRecreate')?.message).to.match(/^2 of 2 /),
    );
  });

  it('answers the pod webhook on the agent that is not the leader too', async () => {
    await eventually(() => expect(poolVersions(cluster).map((p) => p.name)).to.deep.equal(POOLS));
    const { leader, follower } = leaderAndFollower(cluster);
    for (const agent of [follower, leader]) {
      const answer = await eventually(async () => {
        const a = await admit(agent.webhookPort, cluster.webhookCa, {
          namespace: 'payments',
          labels: { app: 'db-client' },
        });
        expect(a.patch, agent.node).to.not.equal(undefined);
        return a;
      });
      expect(answer.allowed).to.equal(true);
      expect(answer.patch, agent.node).to.deep.equal([
        {
          op: 'add',
          path: '/metadata/annotations',
          value: {
            'cni.projectcalico.org/ipv4pools': JSON.stringify(POOLS),
            'egress.proxier.io/pools-owner': 'payments',
          },
        },
      ]);
      const other = await admit(agent.webhookPort, cluster.webhookCa, {
        namespace: 'payments',
        labels: { app: 'web' },
      });
      expect(other).to.deep.equal({ allowed: true });
    }
    expect(backendWrites(follower)).to.deep.equal([]);
    // healthz reports the companion.
    expect(follower.agent.healthz().details).to.include({ companion: 'running' });
  });
});
