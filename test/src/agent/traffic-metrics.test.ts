// Traffic metrics end to end: a gateway agent reads its backend's counters every --traffic-interval and
// exports them per egress IP (totals that survive a counter restart in the datapath), and SNAT port
// pressure on its heartbeat lease becomes the Egress's PortsNearExhaustion condition, written by the leader
// and removed when the pressure is over. Against the in-memory API server, with a scripted backend.
import { expect } from 'chai';
import {
  ALL_CAPABILITIES,
  type AgentMetrics,
  type NodeEgressTable,
  type NodeProxierPlugin,
  type SnatPortUse,
  type TrafficReading,
} from '@egress-proxier/core';
import { AgentCluster, NAMESPACE, condition, eventually } from './support/agent-cluster.js';

const EGRESS_IP = '192.0.2.10';
const CAPACITY = 64_512;

/** What the backend's next readings say for every hosted egress IP. */
interface Script {
  connections: number;
  bytes: number;
  portUse: Omit<SnatPortUse, 'egressIP'>[];
  readings: number;
}

function scriptedPlugin(script: Script): NodeProxierPlugin {
  let hosted: NodeEgressTable['hostedEgressIPs'] = [];
  return {
    name: 'counting-traffic',
    description: 'reports scripted traffic counters (tests)',
    scope: 'node',
    capabilities: ALL_CAPABILITIES,
    create: () => ({
      sync: async (table) => {
        hosted = table.hostedEgressIPs;
        return { changed: true };
      },
      readTraffic: async (): Promise<TrafficReading> => {
        script.readings++;
        return {
          traffic: hosted.map(({ ip }) => ({
            egressIP: ip,
            connections: script.connections,
            bytes: script.bytes,
          })),
          portUse: hosted.flatMap(({ ip }) => script.portUse.map((use) => ({ ...use, egressIP: ip }))),
          portCapacity: CAPACITY,
        };
      },
      cleanup: async () => undefined,
    }),
    render: () => ({ sections: [] }),
  };
}

async function counterValue(
  metrics: AgentMetrics,
  name: 'egressIPConnections' | 'egressIPBytes',
): Promise<Record<string, number>> {
  const { values } = await metrics[name].get();
  return Object.fromEntries(values.map((v) => [`${v.labels.egress_ip}/${v.labels.egress}`, v.value]));
}

describe('traffic metrics and PortsNearExhaustion (in-memory API server)', function () {
  this.timeout(60_000);
  let cluster: AgentCluster;

  beforeEach(async () => {
    cluster = await AgentCluster.start();
    cluster.putPod('payments', 'client-1', 'node-a', '10.244.1.5', { app: 'db-client' });
    cluster.putEgress('payments', {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } },
      egressIPs: [EGRESS_IP],
      gatewayNodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node-a' } },
    });
  });
  afterEach(async () => {
    await cluster?.close();
  });

  it('exports totals per egress IP and Egress that keep growing across a counter restart', async () => {
    const script: Script = { connections: 5, bytes: 700, portUse: [], readings: 0 };
    const running = await cluster.startAgent('node-a', { trafficIntervalMs: 200 }, scriptedPlugin(script));
    const key = `${EGRESS_IP}/payments`;
    await eventually(async () =>
      expect(await counterValue(running.metrics, 'egressIPConnections')).to.deep.equal({ [key]: 5 }),
    );
    script.connections = 7;
    script.bytes = 900;
    await eventually(async () =>
      expect(await counterValue(running.metrics, 'egressIPBytes')).to.deep.equal({ [key]: 900 }),
    );
    // The datapath re-created its counters: 2 is new traffic on top of 7, not a drop to 2.
    script.connections = 2;
    script.bytes = 100;
    await eventually(async () =>
      expect(await counterValue(running.metrics, 'egressIPConnections')).to.deep.equal({ [key]: 9 }),
    );
    expect(await counterValue(running.metrics, 'egressIPBytes')).to.deep.equal({ [key]: 1000 });
    // Bytes alone going down is a restart too: the connections' 3 are new as well.
    script.connections = 3;
    script.bytes = 50;
    await eventually(async () =>
      expect(await counterValue(running.metrics, 'egressIPConnections')).to.deep.equal({ [key]: 12 }),
    );
    expect(await counterValue(running.metrics, 'egressIPBytes')).to.deep.equal({ [key]: 1050 });
    const capacity = await running.metrics.snatPortCapacity.get();
    expect(capacity.values[0]?.value).to.equal(CAPACITY);
  });

  it('publishes SNAT port pressure on the lease; the leader sets PortsNearExhaustion, and removes it', async () => {
    const busiest = { protocol: 'tcp' as const, remoteAddress: '203.0.113.5', remotePort: 443 };
    const script: Script = {
      connections: 0,
      bytes: 0,
      portUse: [{ ...busiest, ports: 100 }],
      readings: 0,
    };
    await cluster.startAgent('node-a', { trafficIntervalMs: 200 }, scriptedPlugin(script));
    await eventually(() =>
      expect(condition(cluster.egressStatus('payments'), 'Ready')).to.include({ status: 'True' }),
    );
    await eventually(() => expect(script.readings).to.be.greaterThan(2));
    expect(
      condition(cluster.egressStatus('payments'), 'PortsNearExhaustion'),
      'no pressure, no condition',
    ).to.equal(undefined);
    script.portUse = [
      { ...busiest, ports: 60_000 },
      { ...busiest, remotePort: 80, ports: 10 },
    ];
    const pressed = await eventually(() => {
      const found = cluster
        .egressStatus('payments')
        .conditions?.find((c) => c.type === 'PortsNearExhaustion');
      expect(found).to.include({ status: 'True', reason: 'SNATPortsNearExhaustion' });
      return found;
    });
    expect(pressed?.message).to.equal(
      `${EGRESS_IP} on node-a: 60000 of ${CAPACITY} source ports in use to 203.0.113.5:443/tcp`,
    );
    // The leader also announces it, as every condition a backend or a gateway reports (kubectl describe).
    await eventually(() =>
      expect(
        cluster.api.store
          .list('v1', 'Event', 'default')
          .filter((event) => (event as unknown as { reason?: string }).reason === 'PortsNearExhaustion'),
      ).to.have.length(1),
    );
    const lease = cluster.api.store.get(
      'coordination.k8s.io/v1',
      'Lease',
      'egress-proxier-node-node-a',
      NAMESPACE,
    );
    expect(lease?.metadata.annotations?.['egress.proxier.io/snat-port-pressure']).to.include('"ports":60000');
    // Just under the threshold (80 %) is still pressure: it is released below 90 % of it (72 %).
    script.portUse = [{ ...busiest, ports: 50_000 }];
    await eventually(() => expect(script.readings).to.be.greaterThan(10), 20_000);
    expect(condition(cluster.egressStatus('payments'), 'PortsNearExhaustion')).to.include({ status: 'True' });
    script.portUse = [{ ...busiest, ports: 1_000 }];
    await eventually(() =>
      expect(condition(cluster.egressStatus('payments'), 'PortsNearExhaustion')).to.equal(undefined),
    );
  });
});
