// Events on Egress objects, end to end: three in-process agents against the in-memory API server, the
// leader recording core/v1 Events in `default`, read back from the store and with the real kubectl.
// Waits come from the design's intervals (heartbeat lease 3 s, leader lease 3 s, status rounds 100 ms)
// with generous deadlines, so a loaded machine only makes them slower.
import { expect } from 'chai';
import type { ClusterProxierPlugin, EgressCondition } from '@egress-proxier/core';
import { REPO_ROOT } from '../deploy/repo-root.js';
import { KubectlCli } from '../kubectl/support/kubectl-cli.js';
import {
  AgentCluster,
  condition,
  eventually,
  sleep,
  NODES,
  type RunningAgent,
} from './support/agent-cluster.js';

interface StoredEvent {
  metadata: { name: string; namespace: string };
  involvedObject: { kind: string; name: string; uid: string; apiVersion: string };
  type: string;
  reason: string;
  message: string;
  count: number;
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
}

const PAYMENTS = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } },
  podSelector: { matchLabels: { app: 'db-client' } },
  egressIPs: ['192.0.2.10'],
};

/** Longer than lease expiry plus a leader election and a status round, on a slow machine. */
const FAILOVER_DEADLINE_MS = 20_000;

function eventsAbout(cluster: AgentCluster, egress: string): StoredEvent[] {
  return (cluster.api.store.list('v1', 'Event', 'default') as unknown as StoredEvent[]).filter(
    (e) => e.involvedObject.kind === 'Egress' && e.involvedObject.name === egress,
  );
}

function withReason(cluster: AgentCluster, egress: string, reason: string): StoredEvent[] {
  return eventsAbout(cluster, egress).filter((e) => e.reason === reason);
}

function leaderOf(cluster: AgentCluster): RunningAgent {
  const leaders = [...cluster.agents.values()].filter((a) => a.agent.isLeader);
  expect(
    leaders.map((a) => a.node),
    'exactly one leader',
  ).to.have.length(1);
  return leaders[0] as RunningAgent;
}

async function eventWrites(agent: RunningAgent): Promise<number> {
  return (await agent.metrics.eventWrites.get()).values.reduce((n, v) => n + v.value, 0);
}

describe('Events on Egress objects (in-memory API server, three agents)', function () {
  this.timeout(90_000);
  let cluster: AgentCluster;

  beforeEach(async () => {
    cluster = await AgentCluster.start();
    cluster.putPod('payments', 'client-1', 'node-a', '10.244.1.5', { app: 'db-client' });
    cluster.putEgress('payments', PAYMENTS);
    for (const node of NODES) await cluster.startAgent(node.name);
  });

  afterEach(async () => {
    await cluster?.close();
  });

  async function steadyGateway(): Promise<string> {
    return eventually(() => {
      const [event] = withReason(cluster, 'payments', 'GatewayAssigned');
      expect(event, 'GatewayAssigned').to.not.equal(undefined);
      const node = cluster.egressStatus('payments').assignments?.[0]?.node;
      expect(event?.message).to.equal(`egress IP 192.0.2.10 assigned to node ${node}`);
      return node as string;
    });
  }

  it('announces a new Egress: accepted and its gateway, written by the leader as the agent', async () => {
    await steadyGateway();
    const leader = leaderOf(cluster);
    const egressUid = cluster.api.store.get('egress.proxier.io/v1alpha1', 'Egress', 'payments')?.metadata.uid;
    const events = eventsAbout(cluster, 'payments');
    expect(events.map((e) => `${e.type} ${e.reason}`).sort()).to.deep.equal([
      'Normal Accepted',
      'Normal GatewayAssigned',
    ]);
    for (const event of events) {
      expect(event.metadata.namespace).to.equal('default');
      expect(event.involvedObject).to.include({
        apiVersion: 'egress.proxier.io/v1alpha1',
        kind: 'Egress',
        uid: egressUid,
      });
      expect(event.source).to.deep.equal({ component: 'egress-proxier' });
      expect(event.reportingComponent).to.equal('egress-proxier.io/agent');
      expect(event.reportingInstance).to.equal(leader.node);
      expect(event.count).to.equal(1);
    }
    // Only the leader writes events (its counter moves when the API's answer arrives, just after the store).
    await eventually(async () => {
      for (const running of cluster.agents.values())
        expect(await eventWrites(running), running.node).to.equal(running === leader ? 2 : 0);
    });
  });

  it('a gateway move names the old and the new node and why', async () => {
    const gateway = await steadyGateway();
    await cluster.stopAgent(gateway);
    const moved = await eventually(() => {
      const [event] = withReason(cluster, 'payments', 'GatewayMoved');
      expect(event, 'GatewayMoved').to.not.equal(undefined);
      return event as StoredEvent;
    }, FAILOVER_DEADLINE_MS);
    const newGateway = cluster.egressStatus('payments').assignments?.[0]?.node;
    expect(newGateway).to.not.equal(gateway);
    expect(moved.type).to.equal('Normal');
    expect(moved.message).to.equal(
      `egress IP 192.0.2.10 moved from node ${gateway} to node ${newGateway}: the heartbeat lease of node ${gateway} expired`,
    );
    expect(moved.reportingInstance).to.equal(leaderOf(cluster).node);
  });

  it('a refused Egress gets a Warning with the Accepted reason; a conflict names the other policy', async () => {
    await steadyGateway();
    cluster.putEgress('on-node-ip', { ...PAYMENTS, egressIPs: ['198.51.100.12'] });
    // Older than "rival" (created first), so it keeps the IP both claim.
    cluster.putEgress('rival', {
      ...PAYMENTS,
      gatewayNodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node-c' } },
    });
    await eventually(() => {
      expect(
        withReason(cluster, 'on-node-ip', 'EgressIPIsNodeIP').map((e) => [e.type, e.message]),
      ).to.deep.equal([['Warning', 'refused: egress IP 198.51.100.12 is the address of node node-b']]);
      expect(withReason(cluster, 'rival', 'EgressIPConflict').map((e) => [e.type, e.message])).to.deep.equal([
        [
          'Warning',
          'refused: egress IP 192.0.2.10 is already used by Egress payments with a different gatewayNodeSelector',
        ],
      ]);
    });
    // A refused Egress is announced by its refusal alone.
    expect(eventsAbout(cluster, 'rival').map((e) => e.reason)).to.deep.equal(['EgressIPConflict']);
  });

  it('a policy that wins a real tie shadows the other, and the Warning names the winner', async () => {
    await steadyGateway();
    // Same pods, same (default) destinations, different IP: the older "payments" wins the exact tie.
    cluster.putEgress('shadowed', { ...PAYMENTS, egressIPs: ['192.0.2.20'] });
    const [event] = await eventually(() => {
      const found = withReason(cluster, 'shadowed', 'ShadowedByPolicy');
      expect(found).to.have.length(1);
      return found;
    });
    expect(event?.type).to.equal('Warning');
    expect(event?.message).to.match(/^shadowed: payments wins for 1 pod\(s\) to /);
    expect(condition(cluster.egressStatus('shadowed'), 'Conflicted')).to.include({ status: 'True' });
  });

  it('repeated identical transitions make one event with a count, not one event each', async () => {
    await steadyGateway();
    const refused = { ...PAYMENTS, egressIPs: ['198.51.100.12'] };
    for (let round = 1; round <= 3; round++) {
      cluster.putEgress('payments', refused);
      await eventually(() =>
        expect(condition(cluster.egressStatus('payments'), 'Accepted')).to.include({ status: 'False' }),
      );
      cluster.putEgress('payments', PAYMENTS);
      await eventually(() =>
        expect(condition(cluster.egressStatus('payments'), 'Accepted')).to.include({ status: 'True' }),
      );
    }
    await eventually(() => {
      const refusals = withReason(cluster, 'payments', 'EgressIPIsNodeIP');
      expect(refusals.map((e) => e.count)).to.deep.equal([3]);
      const reaccepted = eventsAbout(cluster, 'payments').filter(
        (e) => e.message === 'Egress accepted (it was refused: EgressIPIsNodeIP)',
      );
      expect(reaccepted.map((e) => e.count)).to.deep.equal([3]);
    });
  });

  it('a new leader does not announce the steady state again, and reports what changes after', async () => {
    await steadyGateway();
    const before = leaderOf(cluster);
    const snapshot = (): string[] =>
      eventsAbout(cluster, 'payments')
        .map((e) => `${e.metadata.name} ${e.reason} ${e.count}`)
        .sort();
    const steady = snapshot();
    // A planned stop releases the leader lease at once, and its restart hold keeps its heartbeat: nothing
    // about the Egress changes while another agent takes over.
    await cluster.stopAgent(before.node, { planned: true });
    const successor = await eventually(() => leaderOf(cluster), FAILOVER_DEADLINE_MS);
    // The successor's first status round runs as it starts leading; give it many rounds (100 ms each).
    await sleep(2_000);
    expect(snapshot()).to.deep.equal(steady);
    expect(await eventWrites(successor)).to.equal(0);
    cluster.putEgress('later', { ...PAYMENTS, egressIPs: ['10.244.9.9'] });
    const [refusal] = await eventually(() => {
      const found = withReason(cluster, 'later', 'EgressIPInClusterRange');
      expect(found).to.have.length(1);
      return found;
    });
    expect(refusal?.reportingInstance).to.equal(successor.node);
    expect(snapshot()).to.deep.equal(steady);
  });

  it('status is written while every event write is refused (403), and the refusals are counted', async () => {
    await steadyGateway();
    cluster.api.faults.failNext({ path: '/events', status: 403, count: 1_000 });
    cluster.putEgress('on-node-ip', { ...PAYMENTS, egressIPs: ['198.51.100.12'] });
    await eventually(() =>
      expect(condition(cluster.egressStatus('on-node-ip'), 'Accepted')).to.include({
        status: 'False',
        reason: 'EgressIPIsNodeIP',
      }),
    );
    const leader = leaderOf(cluster);
    await eventually(async () => {
      const failures = (await leader.metrics.eventWrites.get()).values.find(
        (v) => v.labels.result === 'failure',
      );
      expect(failures?.value ?? 0).to.be.greaterThan(0);
    });
    expect(eventsAbout(cluster, 'on-node-ip')).to.deep.equal([]);
    expect(leader.agent.healthz().healthy).to.equal(true);
  });

  it('kubectl describe egress shows the Events section', async () => {
    await steadyGateway();
    const kubectl = await KubectlCli.for(cluster.api, REPO_ROOT);
    try {
      const out = await kubectl.ok(['describe', 'egress', 'payments']);
      const events = out.slice(out.indexOf('\nEvents:'));
      expect(events, out).to.match(/Events:\s+Type\s+Reason\s+Age\s+From\s+Message/);
      expect(events).to.match(/Normal\s+Accepted\s+\S+\s+egress-proxier\s+Egress accepted/);
      expect(events).to.match(
        /Normal\s+GatewayAssigned\s+\S+\s+egress-proxier\s+egress IP 192\.0\.2\.10 assigned to node node-/,
      );
    } finally {
      await kubectl.cleanup();
    }
  });
});

/** A cluster-scope plugin that reports the conditions the test sets for each Egress on every sync. */
function reportingClusterPlugin(conditions: Map<string, EgressCondition[]>): ClusterProxierPlugin {
  return {
    name: 'reporting-cluster',
    description: 'reports the conditions a test sets (tests)',
    scope: 'cluster',
    capabilities: ['multipleEgressIPs'],
    create: () => ({
      sync: async () => ({ changed: false, policyConditions: new Map(conditions) }),
      cleanup: async () => undefined,
    }),
    render: () => ({ sections: [] }),
  };
}

describe('Events from a cluster-scope backend’s conditions', function () {
  this.timeout(60_000);
  let cluster: AgentCluster;

  afterEach(async () => {
    await cluster?.close();
  });

  it('records a backend condition appearing and going away, and no gateway events', async () => {
    cluster = await AgentCluster.start();
    cluster.putEgress('payments', { ...PAYMENTS, failurePolicy: 'FailOpen' });
    const conditions = new Map<string, EgressCondition[]>();
    const running = await cluster.startAgent(
      'cluster-1',
      { nodeName: '' },
      reportingClusterPlugin(conditions),
    );
    await eventually(() => expect(withReason(cluster, 'payments', 'Accepted')).to.have.length(1));
    conditions.set('payments', [
      {
        type: 'PodsPendingRecreate',
        status: 'True',
        reason: 'AddressesOutsidePool',
        message: '1 of 1 selected pods have addresses outside the pool; recreate them',
      },
    ]);
    // The next sync reports it: a pod change queues one.
    cluster.putPod('payments', 'client-2', 'node-b', '10.244.2.7', { app: 'db-client' });
    const [appeared] = await eventually(() => {
      const found = withReason(cluster, 'payments', 'PodsPendingRecreate');
      expect(found).to.have.length(1);
      return found;
    });
    expect([appeared?.type, appeared?.message]).to.deep.equal([
      'Warning',
      'AddressesOutsidePool: 1 of 1 selected pods have addresses outside the pool; recreate them',
    ]);
    expect(appeared?.reportingInstance).to.match(/^[^_]+_[0-9a-f-]{36}$/);
    conditions.delete('payments');
    cluster.putPod('payments', 'client-3', 'node-c', '10.244.3.7', { app: 'db-client' });
    await eventually(() =>
      expect(withReason(cluster, 'payments', 'BackendConditionCleared').map((e) => e.message)).to.deep.equal([
        'the backend no longer reports PodsPendingRecreate',
      ]),
    );
    // No node is a gateway in cluster scope: no gateway events although no IP has a node.
    expect(
      eventsAbout(cluster, 'payments')
        .map((e) => e.reason)
        .sort(),
    ).to.deep.equal(['Accepted', 'BackendConditionCleared', 'PodsPendingRecreate']);
    expect(running.agent.isLeader).to.equal(true);
  });
});
