// Stability properties of rendezvous hashing, measured over many pods and IPs: adding an egress IP moves
// about 1/N of pods (all of them to the new IP); a gateway node joining or leaving moves only the IPs
// it wins or held.
import { expect } from 'chai';
import { EgressModel } from '../src/model/egress-model.js';
import { egress, node } from './support/builders.js';
import type { Liveness } from '../src/gateway/gateway-assigner.js';

const POD_COUNT = 20_000;

function podIP(i: number): string {
  return `10.244.${(i >> 8) & 0xff}.${i & 0xff}`;
}

function spreadModel(egressIPs: string[]): EgressModel {
  const model = new EgressModel({ clusterCIDRs: ['10.244.0.0/16'] });
  for (let n = 0; n < 4; n++) model.upsertNode(node(`gw-${n}`, `198.51.100.${n + 1}`));
  model.upsertEgress(egress('spread', { podSelector: {}, egressIPs }));
  return model;
}

function assignmentOf(model: EgressModel): string[] {
  const policy = model.acceptedPolicy('spread');
  if (!policy) throw new Error('policy not accepted');
  return Array.from({ length: POD_COUNT }, (_, i) => model.egressIPFor(policy, podIP(i)) as string);
}

describe('multi-IP spreading', () => {
  const three = ['192.0.2.10', '192.0.2.11', '192.0.2.12'];

  it('spreads pods evenly over the egress IPs', () => {
    const counts = new Map<string, number>();
    for (const ip of assignmentOf(spreadModel(three))) counts.set(ip, (counts.get(ip) ?? 0) + 1);
    expect([...counts.keys()].sort()).to.deep.equal(three);
    for (const count of counts.values()) expect(count / POD_COUNT).to.be.within(0.3, 0.37);
  });

  it('moves about a quarter of the pods, all to the new IP, when a 4th IP is added', () => {
    const before = assignmentOf(spreadModel(three));
    const after = assignmentOf(spreadModel([...three, '192.0.2.13']));
    const moved = before.map((ip, i) => [ip, after[i]] as const).filter(([a, b]) => a !== b);
    expect(moved.length / POD_COUNT).to.be.within(0.22, 0.28);
    expect(new Set(moved.map(([, to]) => to))).to.deep.equal(new Set(['192.0.2.13']));
  });

  it('leaves an IP whose gateways are all down unassigned, without touching other IPs, and returns it to the same node', () => {
    const down = new Set<string>();
    const liveness: Liveness = { isLive: (name) => !down.has(name) };
    const model = new EgressModel({ clusterCIDRs: ['10.244.0.0/16'], liveness });
    model.upsertNode(node('gw-a', '198.51.100.1', { labels: { pool: 'a' } }));
    model.upsertNode(node('gw-b', '198.51.100.2', { labels: { pool: 'b' } }));
    model.upsertEgress(
      egress('spread', {
        podSelector: {},
        egressIPs: ['192.0.2.10'],
        gatewayNodeSelector: { matchLabels: { pool: 'a' } },
      }),
    );
    model.upsertEgress(
      egress('spread-b', {
        podSelector: {},
        egressIPs: ['192.0.2.11'],
        gatewayNodeSelector: { matchLabels: { pool: 'b' } },
      }),
    );
    expect(model.gatewayOf('192.0.2.10')).to.equal('gw-a');
    down.add('gw-a');
    model.gatewayInputsChanged();
    expect(model.gatewayOf('192.0.2.10')).to.equal(null);
    expect(model.gatewayOf('192.0.2.11')).to.equal('gw-b');
    down.clear();
    model.gatewayInputsChanged();
    expect(model.gatewayOf('192.0.2.10')).to.equal('gw-a');
  });
});

describe('gateway assignment', () => {
  const IP_COUNT = 2000;
  const ips = Array.from({ length: IP_COUNT }, (_, i) => `172.${16 + (i >> 8)}.${i & 0xff}.1`);

  function gatewayModel(nodeCount: number, liveness?: Liveness): EgressModel {
    const model = new EgressModel({ clusterCIDRs: ['10.244.0.0/16'], liveness });
    for (let n = 0; n < nodeCount; n++) model.upsertNode(node(`gw-${n}`, `198.51.100.${n + 1}`));
    ips.forEach((ip, i) => model.upsertEgress(egress(`p${i}`, { podSelector: {}, egressIPs: [ip] })));
    return model;
  }
  const owners = (model: EgressModel) => ips.map((ip) => model.gatewayOf(ip));

  it('spreads egress IPs over the gateways', () => {
    const counts = new Map<string | null, number>();
    for (const owner of owners(gatewayModel(10))) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    expect(counts.size).to.equal(10);
    for (const count of counts.values()) expect(count).to.be.within(150, 250);
  });

  it('moves only the IPs a failed node held', () => {
    const down = new Set<string>();
    const model = gatewayModel(10, { isLive: (name) => !down.has(name) });
    const before = owners(model);
    down.add('gw-3');
    model.gatewayInputsChanged();
    const after = owners(model);
    before.forEach((owner, i) => {
      if (owner === 'gw-3') expect(after[i]).to.not.equal('gw-3');
      else expect(after[i], ips[i]).to.equal(owner);
    });
  });

  it('moves to a joining node only the IPs it wins', () => {
    const model = gatewayModel(10);
    const before = owners(model);
    model.upsertNode(node('gw-new', '198.51.100.99'));
    const after = owners(model);
    const moved = before.filter((owner, i) => owner !== after[i]);
    expect(moved.length).to.be.within(120, 240);
    after.forEach((owner, i) => {
      if (owner !== before[i]) expect(owner).to.equal('gw-new');
    });
  });

  it('leaves an IP with the eligible node hosting it, whatever the rendezvous order; an ineligible one loses it', () => {
    const hosting = new Map<string, string>();
    const down = new Set<string>();
    const model = new EgressModel({
      clusterCIDRs: ['10.244.0.0/16'],
      liveness: { isLive: (name) => !down.has(name) },
      incumbency: {
        incumbentAmong: (ip, candidates) => {
          const holder = hosting.get(ip);
          return holder !== undefined && candidates.includes(holder) ? holder : undefined;
        },
      },
    });
    for (let n = 0; n < 3; n++) model.upsertNode(node(`gw-${n}`, `198.51.100.${n + 1}`));
    model.upsertEgress(egress('p', { podSelector: {}, egressIPs: ['192.0.2.10'] }));
    const winner = model.gatewayOf('192.0.2.10') as string;
    const other = ['gw-0', 'gw-1', 'gw-2'].find((name) => name !== winner) as string;
    hosting.set('192.0.2.10', other);
    model.gatewayInputsChanged();
    expect(model.gatewayOf('192.0.2.10'), 'the holder keeps it').to.equal(other);
    down.add(other);
    model.gatewayInputsChanged();
    expect(model.gatewayOf('192.0.2.10'), 'a holder that is not live does not').to.equal(winner);
  });

  it('ignores nodes that are not Ready, not selected, or have no address of the family', () => {
    const model = new EgressModel({ clusterCIDRs: [] });
    model.upsertNode(node('not-ready', '198.51.100.1', { ready: false }));
    model.upsertNode(node('unlabelled', '198.51.100.2', { labels: {} }));
    model.upsertNode(node('v6-only', '2001:db8::2', { internalIPs: ['2001:db8::2'] }));
    model.upsertEgress(egress('p', { podSelector: {}, egressIPs: ['192.0.2.10'] }));
    expect(model.gatewayOf('192.0.2.10')).to.equal(null);
    model.upsertNode(node('good', '198.51.100.4'));
    expect(model.gatewayOf('192.0.2.10')).to.equal('good');
  });

  it('says why a node cannot hold an IP, judged as the assignment judges it', () => {
    const down = new Set(['stale']);
    const model = new EgressModel({ clusterCIDRs: [], liveness: { isLive: (name) => !down.has(name) } });
    model.upsertNode(node('not-ready', '198.51.100.1', { ready: false }));
    model.upsertNode(node('unlabelled', '198.51.100.2', { labels: {} }));
    model.upsertNode(node('v6-only', '2001:db8::2', { internalIPs: ['2001:db8::2'] }));
    model.upsertNode(node('stale', '198.51.100.3'));
    model.upsertNode(node('good', '198.51.100.4'));
    model.upsertEgress(egress('p', { podSelector: {}, egressIPs: ['192.0.2.10'] }));
    const why = (name: string) => model.gatewayIneligibility('192.0.2.10', name);
    expect(['gone', 'not-ready', 'unlabelled', 'stale', 'v6-only', 'good'].map(why)).to.deep.equal([
      'nodeGone',
      'notReady',
      'selectorMismatch',
      'heartbeatExpired',
      'noAddressOfFamily',
      null,
    ]);
    expect(model.gatewayIneligibility('192.0.2.99', 'good'), 'an IP no policy uses').to.equal(undefined);
  });
});
