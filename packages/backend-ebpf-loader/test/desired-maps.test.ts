// The four maps' content from a longest-prefix table: each verdict's value, cluster destinations apart.
import {
  compileLongestPrefixTable,
  type GatewayHop,
  type IPFamily,
  type LongestPrefixTable,
  type NodeEgressTable,
} from '@egress-proxier/core';
import { expect } from 'chai';
import { desiredMaps, type NodeHops, type SteerHopOf } from '../src/maps/desired-maps.js';
import {
  CLUSTER_VALUE,
  encodeClusterKey,
  encodePolicyKey,
  encodePolicyValue,
  hex,
  type PolicyValue,
} from '../src/maps/map-layout.js';

const hops: [GatewayHop, IPFamily][] = [];
const steerHop: SteerHopOf = (gateway, family) => {
  hops.push([gateway, family]);
  return family === 4 ? { ifindex: 4, nexthop: gateway.nodeIP } : { ifindex: 9, nexthop: gateway.nodeIP };
};
const UPLINK_IFINDEX = 7;
const nodeHops: NodeHops = { steer: steerHop, uplinkIfindex: UPLINK_IFINDEX };
const policy = (
  family: IPFamily,
  source: string,
  destination: string,
  value: PolicyValue,
): [string, string] => [hex(encodePolicyKey(family, source, destination)), hex(encodePolicyValue(value))];
const cluster = (family: IPFamily, destination: string): [string, string] => [
  hex(encodeClusterKey(family, destination)),
  hex(CLUSTER_VALUE),
];

describe('desired ebpf maps', () => {
  beforeEach(() => (hops.length = 0));

  it('encodes every verdict of a hand-built table', () => {
    const table: LongestPrefixTable = {
      node: 'node-a',
      clusterDestinations: ['10.96.0.0/12', '10.244.0.0/16', 'fd00:10::/64'],
      entries: [
        {
          family: 4,
          source: '10.244.1.5',
          destination: '0.0.0.0/0',
          verdict: {
            kind: 'rule',
            policy: 'web',
            sourceSet: 'web/192.0.2.100',
            action: { kind: 'snat', egressIP: '192.0.2.100' },
          },
        },
        { family: 4, source: '10.244.1.5', destination: '203.0.113.0/24', verdict: { kind: 'noRule' } },
        {
          family: 4,
          source: '10.244.1.6',
          destination: '198.51.100.0/24',
          verdict: {
            kind: 'rule',
            policy: 'api',
            sourceSet: 'api/192.0.2.101',
            action: {
              kind: 'steer',
              egressIP: '192.0.2.101',
              gateway: { node: 'node-b', nodeIP: '172.18.0.3' },
            },
          },
        },
        {
          family: 4,
          source: '10.244.1.7',
          destination: '0.0.0.0/0',
          verdict: {
            kind: 'rule',
            policy: 'closed',
            sourceSet: 'closed/unassigned/v4',
            action: { kind: 'drop' },
          },
        },
        {
          family: 4,
          source: '10.244.1.8',
          destination: '0.0.0.0/0',
          verdict: {
            kind: 'rule',
            policy: 'open',
            sourceSet: 'open/unassigned/v4',
            action: { kind: 'bypass' },
          },
        },
        {
          family: 6,
          source: 'fd00:10::5',
          destination: '::/0',
          verdict: {
            kind: 'rule',
            policy: 'db',
            sourceSet: 'db/2001:db8::100',
            action: {
              kind: 'steer',
              egressIP: '2001:db8::100',
              gateway: { node: 'node-b', nodeIP: 'fd00::b' },
            },
          },
        },
      ],
    };
    const maps = desiredMaps(table, nodeHops);
    expect([...maps.cluster4]).to.deep.equal([cluster(4, '10.96.0.0/12'), cluster(4, '10.244.0.0/16')]);
    expect([...maps.cluster6]).to.deep.equal([cluster(6, 'fd00:10::/64')]);
    expect([...maps.policy4]).to.deep.equal([
      policy(4, '10.244.1.5', '0.0.0.0/0', {
        action: 'local',
        egressIP: '192.0.2.100',
        ifindex: UPLINK_IFINDEX,
      }),
      policy(4, '10.244.1.5', '203.0.113.0/24', { action: 'pass' }),
      policy(4, '10.244.1.6', '198.51.100.0/24', { action: 'steer', ifindex: 4, nexthop: '172.18.0.3' }),
      policy(4, '10.244.1.7', '0.0.0.0/0', { action: 'drop' }),
      policy(4, '10.244.1.8', '0.0.0.0/0', { action: 'pass' }),
    ]);
    expect([...maps.policy6]).to.deep.equal([
      policy(6, 'fd00:10::5', '::/0', { action: 'steer', ifindex: 9, nexthop: 'fd00::b' }),
    ]);
    expect(hops).to.deep.equal([
      [{ node: 'node-b', nodeIP: '172.18.0.3' }, 4],
      [{ node: 'node-b', nodeIP: 'fd00::b' }, 6],
    ]);
  });

  it('encodes a table compiled from a NodeEgressTable (exclusions as PASS entries, cluster CIDRs collapsed)', () => {
    const table: NodeEgressTable = {
      node: 'node-a',
      clusterCIDRs: ['10.244.0.0/16', '10.244.0.0/17', '10.96.0.0/12'],
      hostedEgressIPs: [{ ip: '192.0.2.100', family: 4, policies: ['web'] }],
      sourceSets: [
        { id: 'web/192.0.2.100', policy: 'web', family: 4, addresses: ['10.244.1.5', '10.244.1.6'] },
      ],
      rules: [
        {
          policy: 'web',
          family: 4,
          sourceSet: 'web/192.0.2.100',
          destination: '0.0.0.0/0',
          excludedCIDRs: ['203.0.113.0/24'],
          failurePolicy: 'FailClosed',
          action: { kind: 'snat', egressIP: '192.0.2.100' },
        },
      ],
    };
    const maps = desiredMaps(compileLongestPrefixTable(table), nodeHops);
    const local = { action: 'local', egressIP: '192.0.2.100', ifindex: UPLINK_IFINDEX } as const;
    expect(new Map(maps.policy4)).to.deep.equal(
      new Map([
        policy(4, '10.244.1.5', '0.0.0.0/0', local),
        policy(4, '10.244.1.5', '203.0.113.0/24', { action: 'pass' }),
        policy(4, '10.244.1.6', '0.0.0.0/0', local),
        policy(4, '10.244.1.6', '203.0.113.0/24', { action: 'pass' }),
      ]),
    );
    expect(new Map(maps.cluster4)).to.deep.equal(
      new Map([cluster(4, '10.96.0.0/12'), cluster(4, '10.244.0.0/16')]),
    );
    expect(maps.policy6.size + maps.cluster6.size).to.equal(0);
    expect(hops).to.deep.equal([]);
  });

  it('refuses a table with two entries for one key', () => {
    const entry = {
      family: 4 as const,
      source: '10.244.1.5',
      destination: '0.0.0.0/0',
      verdict: { kind: 'noRule' as const },
    };
    expect(() =>
      desiredMaps({ node: 'n', clusterDestinations: [], entries: [entry, entry] }, nodeHops),
    ).to.throw(/two entries/);
  });
});
