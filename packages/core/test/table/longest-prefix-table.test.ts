// Policies → table → longest-prefix form, case by case (KEP stories, exclusions, priorities, cluster
// destinations, held gateways, both families), as data: one runner reads every case.
import { expect } from 'chai';
import { compileLongestPrefixTable } from '../../src/table/longest-prefix/compile-longest-prefix-table.js';
import {
  LongestPrefixLookup,
  lookupLongestPrefix,
} from '../../src/table/longest-prefix/lookup-longest-prefix.js';
import type {
  LongestPrefixEntry,
  LongestPrefixVerdict,
} from '../../src/table/longest-prefix/longest-prefix-table.js';
import type { NodeEgressTable } from '../../src/table/node-egress-table.js';
import { buildNodeEgressTable } from '../../src/table/build-node-table.js';
import { EgressModel } from '../../src/model/egress-model.js';
import { egress, namespace, node, pod } from '../support/builders.js';

/** node-a is a worker, node-b the only gateway, so every egress IP lives on node-b. Both are dual-stack. */
function cluster(policies: ReturnType<typeof egress>[]): EgressModel {
  const model = new EgressModel({ clusterCIDRs: ['10.244.0.0/16', '10.96.0.0/12'] });
  const internalIPs = (i: number) => [`192.0.2.${i}`, `2001:db8:ff::${i}`];
  model.upsertNode(
    node('node-a', '', { labels: {}, internalIPs: internalIPs(11), podCIDRs: ['10.244.1.0/24'] }),
  );
  model.upsertNode(node('node-b', '', { internalIPs: internalIPs(12), podCIDRs: ['10.244.2.0/24'] }));
  model.upsertNamespace(namespace('payments'));
  model.upsertPod(
    pod('payments', 'api-a', { nodeName: 'node-a', podIPs: ['10.244.1.2'], labels: { app: 'api' } }),
  );
  model.upsertPod(
    pod('payments', 'api-b', { nodeName: 'node-b', podIPs: ['10.244.2.2'], labels: { app: 'api' } }),
  );
  model.upsertPod(
    pod('payments', 'web-a', {
      nodeName: 'node-a',
      podIPs: ['10.244.1.3', 'fd00:10:244:1::3'],
      labels: { app: 'web' },
    }),
  );
  for (const policy of policies) model.upsertEgress(policy);
  return model;
}

const api = { podSelector: { matchLabels: { app: 'api' } } };
const web = { podSelector: { matchLabels: { app: 'web' } } };

function verdictText(verdict: LongestPrefixVerdict): string {
  if (verdict.kind === 'noRule') return 'no rule';
  const action = verdict.action;
  const what =
    action.kind === 'snat'
      ? `snat ${action.egressIP}`
      : action.kind === 'steer'
        ? `steer ${action.egressIP} via ${action.gateway.node}/${action.gateway.nodeIP}`
        : action.kind;
  return `${what} (${verdict.policy})`;
}

const entryText = (entry: LongestPrefixEntry) =>
  `${entry.source} → ${entry.destination}: ${verdictText(entry.verdict)}`;

interface Case {
  name: string;
  policies: ReturnType<typeof egress>[];
  node: 'node-a' | 'node-b';
  entries: string[];
  /** [source, destination, expected verdict] */
  lookups?: [string, string, string][];
}

const CASES: Case[] = [
  {
    name: 'one policy, every destination (KEP story 1): the gateway SNATs every selected pod',
    policies: [egress('pay', { ...api, egressIPs: ['192.0.2.100'] })],
    node: 'node-b',
    entries: [
      '10.244.1.2 → 0.0.0.0/0: snat 192.0.2.100 (pay)',
      '10.244.2.2 → 0.0.0.0/0: snat 192.0.2.100 (pay)',
    ],
    lookups: [
      ['10.244.1.2', '8.8.8.8', 'snat 192.0.2.100 (pay)'],
      ['10.244.1.3', '8.8.8.8', 'no rule'],
    ],
  },
  {
    name: 'one policy on a worker node: its local pod is steered to the gateway',
    policies: [egress('pay', { ...api, egressIPs: ['192.0.2.100'] })],
    node: 'node-a',
    entries: ['10.244.1.2 → 0.0.0.0/0: steer 192.0.2.100 via node-b/192.0.2.12 (pay)'],
  },
  {
    name: 'an exclusion no later rule covers becomes a no-rule entry inside the rule',
    policies: [
      egress('pay', {
        ...web,
        egressIPs: ['192.0.2.100'],
        destinationCIDRs: ['203.0.113.0/24'],
        excludedCIDRs: ['203.0.113.128/25'],
      }),
    ],
    node: 'node-b',
    entries: [
      '10.244.1.3 → 203.0.113.0/24: snat 192.0.2.100 (pay)',
      '10.244.1.3 → 203.0.113.128/25: no rule',
    ],
    lookups: [
      ['10.244.1.3', '203.0.113.127', 'snat 192.0.2.100 (pay)'],
      ['10.244.1.3', '203.0.113.128', 'no rule'],
      ['10.244.1.3', '203.0.114.0', 'no rule'],
    ],
  },
  {
    name: 'an excluded destination falls through to the next policy that covers it',
    policies: [
      egress('db', {
        ...web,
        egressIPs: ['192.0.2.100'],
        destinationCIDRs: ['203.0.113.0/24'],
        excludedCIDRs: ['203.0.113.0/28'],
      }),
      egress('any', { ...web, egressIPs: ['192.0.2.101'] }),
    ],
    node: 'node-b',
    entries: [
      '10.244.1.3 → 0.0.0.0/0: snat 192.0.2.101 (any)',
      '10.244.1.3 → 203.0.113.0/24: snat 192.0.2.100 (db)',
      '10.244.1.3 → 203.0.113.0/28: snat 192.0.2.101 (any)',
    ],
  },
  {
    name: 'an exclusion that repeats what the rule around it does adds no entry',
    policies: [
      egress('db', { ...web, egressIPs: ['192.0.2.100'], destinationCIDRs: ['203.0.113.0/24'] }),
      egress('any', { ...web, egressIPs: ['192.0.2.101'], excludedCIDRs: ['203.0.113.0/28'] }),
    ],
    node: 'node-b',
    entries: [
      '10.244.1.3 → 0.0.0.0/0: snat 192.0.2.101 (any)',
      '10.244.1.3 → 203.0.113.0/24: snat 192.0.2.100 (db)',
    ],
  },
  {
    name: 'two policies with equal destinations: the higher priority wins, the other keeps its own',
    policies: [
      egress('low', {
        ...web,
        egressIPs: ['192.0.2.100'],
        destinationCIDRs: ['203.0.113.0/24', '198.51.100.0/24'],
      }),
      egress('high', {
        ...web,
        egressIPs: ['192.0.2.101'],
        destinationCIDRs: ['203.0.113.0/24'],
        priority: 10,
      }),
    ],
    node: 'node-b',
    entries: [
      '10.244.1.3 → 198.51.100.0/24: snat 192.0.2.100 (low)',
      '10.244.1.3 → 203.0.113.0/24: snat 192.0.2.101 (high)',
    ],
  },
  {
    name: 'two overlapping policies: the longer prefix wins over a higher priority',
    policies: [
      egress('wide', {
        ...web,
        egressIPs: ['192.0.2.100'],
        destinationCIDRs: ['203.0.0.0/16'],
        priority: 100,
      }),
      egress('narrow', { ...web, egressIPs: ['192.0.2.101'], destinationCIDRs: ['203.0.113.0/24'] }),
    ],
    node: 'node-b',
    entries: [
      '10.244.1.3 → 203.0.0.0/16: snat 192.0.2.100 (wide)',
      '10.244.1.3 → 203.0.113.0/24: snat 192.0.2.101 (narrow)',
    ],
  },
  {
    name: 'cluster destinations need no entries, and a destination inside one gives none',
    policies: [
      egress('pay', { ...api, egressIPs: ['192.0.2.100'] }),
      egress('services', {
        ...api,
        egressIPs: ['192.0.2.101'],
        destinationCIDRs: ['10.96.0.0/16'],
        priority: 5,
      }),
    ],
    node: 'node-a',
    entries: ['10.244.1.2 → 0.0.0.0/0: steer 192.0.2.100 via node-b/192.0.2.12 (pay)'],
    lookups: [
      ['10.244.1.2', '10.96.0.10', 'no rule'],
      ['10.244.1.2', '10.244.2.2', 'no rule'],
      ['10.244.1.2', '192.0.2.12', 'no rule'],
      ['10.244.1.2', '192.0.2.13', 'steer 192.0.2.100 via node-b/192.0.2.12 (pay)'],
    ],
  },
  {
    name: 'FailOpen with no live gateway: a bypass entry shadows the wider policy',
    policies: [
      egress('pay', { ...web, egressIPs: ['192.0.2.100'] }),
      egress('open', {
        ...web,
        egressIPs: ['192.0.2.101'],
        destinationCIDRs: ['203.0.113.0/24'],
        gatewayNodeSelector: { matchLabels: { none: 'x' } },
        failurePolicy: 'FailOpen',
      }),
      egress('closed', {
        ...web,
        egressIPs: ['192.0.2.102'],
        destinationCIDRs: ['198.51.100.0/24'],
        gatewayNodeSelector: { matchLabels: { none: 'x' } },
      }),
    ],
    node: 'node-a',
    entries: [
      '10.244.1.3 → 0.0.0.0/0: steer 192.0.2.100 via node-b/192.0.2.12 (pay)',
      '10.244.1.3 → 198.51.100.0/24: drop (closed)',
      '10.244.1.3 → 203.0.113.0/24: bypass (open)',
    ],
  },
  {
    name: 'both families: each gets its own entries, IPv4 first',
    policies: [
      egress('pay', {
        ...web,
        egressIPs: ['192.0.2.100', '2001:db8:e::1'],
        excludedCIDRs: ['2001:db8::/32'],
      }),
    ],
    node: 'node-b',
    entries: [
      '10.244.1.3 → 0.0.0.0/0: snat 192.0.2.100 (pay)',
      'fd00:10:244:1::3 → ::/0: snat 2001:db8:e::1 (pay)',
      'fd00:10:244:1::3 → 2001:db8::/32: no rule',
    ],
    lookups: [
      ['fd00:10:244:1::3', '2001:db8::1', 'no rule'],
      ['fd00:10:244:1::3', '2001:db9::1', 'snat 2001:db8:e::1 (pay)'],
      ['fd00:10:244:1::3', '203.0.113.1', 'no rule'],
    ],
  },
];

describe('compileLongestPrefixTable', () => {
  for (const testCase of CASES) {
    it(testCase.name, () => {
      const table = buildNodeEgressTable(cluster(testCase.policies), testCase.node);
      const compiled = compileLongestPrefixTable(table);
      expect(compiled.entries.map(entryText)).to.deep.equal(testCase.entries);
      const lookup = new LongestPrefixLookup(compiled);
      for (const [source, destination, expected] of testCase.lookups ?? []) {
        expect(verdictText(lookup.lookup(source, destination)), `${source} → ${destination}`).to.equal(
          expected,
        );
      }
    });
  }

  it('keeps cluster destinations apart, as the fewest prefixes with the same union', () => {
    const table: NodeEgressTable = {
      node: 'node-a',
      clusterCIDRs: [
        '10.244.0.0/16',
        '10.244.1.0/24',
        '192.0.2.12/32',
        '192.0.2.13/32',
        '192.0.2.14/32',
        'fd00::/8',
      ],
      hostedEgressIPs: [],
      sourceSets: [],
      rules: [],
    };
    expect(compileLongestPrefixTable(table)).to.deep.equal({
      node: 'node-a',
      clusterDestinations: ['10.244.0.0/16', '192.0.2.12/31', '192.0.2.14/32', 'fd00::/8'],
      entries: [],
    });
  });

  it('sorts sources by address, not by text', () => {
    const table: NodeEgressTable = {
      node: 'node-a',
      clusterCIDRs: [],
      hostedEgressIPs: [],
      sourceSets: [
        { id: 'pay/192.0.2.100', policy: 'pay', family: 4, addresses: ['10.244.1.10', '10.244.1.9'] },
      ],
      rules: [
        {
          policy: 'pay',
          family: 4,
          sourceSet: 'pay/192.0.2.100',
          destination: '0.0.0.0/0',
          excludedCIDRs: [],
          failurePolicy: 'FailClosed',
          action: { kind: 'snat', egressIP: '192.0.2.100' },
        },
      ],
    };
    const compiled = compileLongestPrefixTable(table);
    expect(compiled.entries.map((entry) => entry.source)).to.deep.equal(['10.244.1.9', '10.244.1.10']);
    expect(verdictText(lookupLongestPrefix(compiled, '10.244.1.10', '8.8.8.8'))).to.equal(
      'snat 192.0.2.100 (pay)',
    );
  });

  it('looks up canonical addresses only, instead of guessing what 010.244.1.2 means', () => {
    const lookup = new LongestPrefixLookup({ node: 'node-a', clusterDestinations: [], entries: [] });
    expect(lookup.lookup('10.244.1.2', '8.8.8.8')).to.deep.equal({ kind: 'noRule' });
    expect(() => lookup.lookup('010.244.1.2', '8.8.8.8')).to.throw(/not a canonical IP address/);
    expect(() => lookup.lookup('10.244.1.2', '2001:DB8::1')).to.throw(/not a canonical IP address/);
  });

  it('refuses a rule whose source set the table does not hold', () => {
    const table: NodeEgressTable = {
      node: 'node-a',
      clusterCIDRs: [],
      hostedEgressIPs: [],
      sourceSets: [],
      rules: [
        {
          policy: 'pay',
          family: 4,
          sourceSet: 'pay/192.0.2.100',
          destination: '0.0.0.0/0',
          excludedCIDRs: [],
          failurePolicy: 'FailClosed',
          action: { kind: 'drop' },
        },
      ],
    };
    expect(() => compileLongestPrefixTable(table)).to.throw(/unknown source set pay\/192\.0\.2\.100/);
  });
});
