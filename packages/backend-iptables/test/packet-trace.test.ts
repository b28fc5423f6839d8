import { expect } from 'chai';
import plugin from '../src/index.js';
import { CLUSTER, NODES, ORDERING, type NodeName } from './support/cluster-tables.js';
import { leavesAs, NodeTracer, type TracedNode } from './support/packet-tracer.js';

function cluster(options: Record<string, string>): Record<NodeName, TracedNode> {
  const nodes = {} as Record<NodeName, TracedNode>;
  for (const name of Object.keys(NODES) as NodeName[]) {
    const table = CLUSTER[name];
    nodes[name] = { nodeIP: NODES[name], table, rendered: plugin.render(table, options) };
  }
  return nodes;
}

const paths: { pod: string; on: NodeName; to: string; leavesAs: string; why: string }[] = [
  {
    pod: '10.244.1.2',
    on: 'node-a',
    to: '203.0.113.5',
    leavesAs: '192.0.2.100',
    why: 'steered to its gateway node-b',
  },
  {
    pod: '10.244.3.2',
    on: 'node-c',
    to: '203.0.113.9',
    leavesAs: '192.0.2.100',
    why: 'steered from the other gateway',
  },
  {
    pod: '10.244.1.2',
    on: 'node-a',
    to: '203.0.113.200',
    leavesAs: '192.0.2.11',
    why: 'excluded CIDR falls through',
  },
  {
    pod: '10.244.1.2',
    on: 'node-a',
    to: '198.51.100.7',
    leavesAs: '192.0.2.11',
    why: 'outside its destination',
  },
  {
    pod: '10.244.1.3',
    on: 'node-a',
    to: '198.51.100.7',
    leavesAs: '192.0.2.101',
    why: 'default destination',
  },
  {
    pod: '10.244.2.3',
    on: 'node-b',
    to: '203.0.113.77',
    leavesAs: '192.0.2.101',
    why: 'gateway steers others',
  },
  {
    pod: '10.244.1.3',
    on: 'node-a',
    to: '10.244.2.3',
    leavesAs: '10.244.1.3',
    why: 'pod to pod is never NATed',
  },
  {
    pod: '10.244.1.3',
    on: 'node-a',
    to: '192.0.2.12',
    leavesAs: '10.244.1.3',
    why: 'pod to node is never NATed',
  },
  {
    pod: '10.244.1.3',
    on: 'node-a',
    to: '10.96.0.10',
    leavesAs: '10.244.1.3',
    why: 'service CIDR is cluster',
  },
  {
    pod: '10.244.1.4',
    on: 'node-a',
    to: '198.51.100.7',
    leavesAs: 'dropped',
    why: 'FailClosed without gateway',
  },
  {
    pod: '10.244.1.4',
    on: 'node-a',
    to: '203.0.113.5',
    leavesAs: '192.0.2.11',
    why: 'drop only toward its CIDR',
  },
  { pod: '10.244.1.9', on: 'node-a', to: '203.0.113.5', leavesAs: '192.0.2.11', why: 'unselected pod' },
];

describe('iptables datapath, traced packet by packet', () => {
  for (const steering of ['onlink', 'vxlan']) {
    describe(`steering ${steering}`, () => {
      const nodes = cluster({ uplink: 'eth0', steering });
      for (const path of paths) {
        it(`pod ${path.pod} on ${path.on} → ${path.to} leaves as ${path.leavesAs} (${path.why})`, () => {
          expect(leavesAs(Object.values(nodes), nodes[path.on], { src: path.pod, dst: path.to })).to.equal(
            path.leavesAs,
          );
        });
      }
    });
  }

  it('marks steered packets with the gateway own mark and routes them on-link or through the tunnel', () => {
    const onlink = new NodeTracer(plugin.render(CLUSTER['node-a'], { uplink: 'eth0' }));
    expect(onlink.trace({ src: '10.244.1.2', dst: '203.0.113.5' })).to.deep.equal({
      kind: 'steered',
      mark: 0x100,
      via: '192.0.2.12',
      device: 'eth0',
    });
    expect(onlink.trace({ src: '10.244.1.3', dst: '203.0.113.5' })).to.deep.equal({
      kind: 'steered',
      mark: 0x200,
      via: '192.0.2.13',
      device: 'eth0',
    });
    const vxlan = new NodeTracer(plugin.render(CLUSTER['node-a'], { uplink: 'eth0', steering: 'vxlan' }));
    expect(vxlan.trace({ src: '10.244.1.2', dst: '203.0.113.5' })).to.include({
      via: '192.0.2.12',
      device: 'egp-vx',
    });
  });

  it('routes the tunnel packet of a steered packet (same mark) to the gateway outside the tunnel', () => {
    const vxlan = new NodeTracer(plugin.render(CLUSTER['node-a'], { uplink: 'eth0', steering: 'vxlan' }));
    const steered = vxlan.trace({ src: '10.244.1.2', dst: '203.0.113.5' });
    if (steered.kind !== 'steered') throw new Error(`expected a steered packet, got ${steered.kind}`);
    expect(vxlan.routeMarked(steered.mark, '203.0.113.5')).to.deep.equal({
      via: '192.0.2.12',
      device: 'egp-vx',
    });
    expect(vxlan.routeMarked(steered.mark, steered.via), 'encapsulated packet').to.equal('main');
    const onlink = new NodeTracer(plugin.render(CLUSTER['node-a'], { uplink: 'eth0' }));
    expect(onlink.routeMarked(steered.mark, steered.via), 'on-link: no tunnel, no exemption').to.deep.equal({
      via: '192.0.2.12',
      device: 'eth0',
    });
  });

  describe('cross-action ordering: the first matching rule decides', () => {
    const tracer = new NodeTracer(plugin.render(ORDERING, { uplink: 'eth0' }));
    const cases: { src: string; dst: string; verdict: string }[] = [
      { src: '10.244.2.5', dst: '203.0.113.50', verdict: 'dropped' },
      { src: '10.244.2.5', dst: '203.0.113.5', verdict: 'snat 192.0.2.100' }, // excluded from the drop: next rule
      { src: '10.244.2.5', dst: '198.51.100.5', verdict: 'snat 192.0.2.100' },
      { src: '10.244.2.6', dst: '198.51.100.5', verdict: 'untouched' }, // bypass stops before the snat rule
      { src: '10.244.2.6', dst: '203.0.113.50', verdict: 'snat 192.0.2.100' },
      { src: '10.244.2.7', dst: '203.0.113.50', verdict: 'untouched' },
    ];
    for (const { src, dst, verdict } of cases) {
      it(`${src} → ${dst}: ${verdict}`, () => {
        const traced = tracer.trace({ src, dst });
        expect(traced.kind === 'snat' ? `snat ${traced.to}` : traced.kind).to.equal(verdict);
      });
    }
  });
});
