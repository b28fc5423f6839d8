// Table-driven: which spec features need which backend capability.
import { expect } from 'chai';
import type { EgressPolicy } from '../src/api/egress-policy.js';
import { defaultRoute, parseCidr, type Cidr } from '../src/net/ip.js';
import { missingCapabilities, requiredCapabilities } from '../src/plugin/capability-check.js';
import type { ProxierCapability } from '../src/plugin/capabilities.js';
import { compileLabelSelector } from '../src/selectors/label-selector.js';

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.cidr;
}

/** The smallest policy a backend without any capability can honour; cases override what they test. */
function policy(overrides: Partial<EgressPolicy>): EgressPolicy {
  const gatewayNodeSelector = { matchLabels: { 'egress.proxier.io/gateway': 'true' } };
  const podSelector = { matchLabels: { app: 'web' } };
  return {
    name: 'p',
    uid: 'uid-p',
    generation: 1,
    creationTimestamp: '2025-01-01T00:00:00Z',
    namespaceSelector: null,
    podSelector: compileLabelSelector(podSelector),
    gatewayNodeSelector: compileLabelSelector(gatewayNodeSelector),
    egressIPs: ['192.0.2.10'],
    destinationCIDRs: [defaultRoute(4)],
    destinationsExplicit: false,
    excludedCIDRs: [],
    priority: 0,
    failurePolicy: 'FailOpen',
    source: { namespaceSelector: null, podSelector, gatewayNodeSelector },
    ...overrides,
  };
}

interface Case {
  name: string;
  policy: Partial<EgressPolicy>;
  required: ProxierCapability[];
}

const cases: Case[] = [
  { name: 'one IPv4 address, all destinations, FailOpen needs nothing', policy: {}, required: [] },
  {
    name: 'explicit destinations',
    policy: { destinationCIDRs: [cidr('203.0.113.0/24')], destinationsExplicit: true },
    required: ['destinationCIDRs'],
  },
  {
    name: 'explicit destinations equal to the default route still count as explicit',
    policy: { destinationCIDRs: [defaultRoute(4)], destinationsExplicit: true },
    required: ['destinationCIDRs'],
  },
  {
    name: 'excluded destinations',
    policy: { excludedCIDRs: [cidr('198.51.100.0/24')] },
    required: ['destinationCIDRs'],
  },
  {
    name: 'two egress IPs',
    policy: { egressIPs: ['192.0.2.10', '192.0.2.11'] },
    required: ['multipleEgressIPs'],
  },
  {
    name: 'an IPv6 egress IP',
    policy: { egressIPs: ['2001:db8::10'], destinationCIDRs: [defaultRoute(6)] },
    required: ['ipv6'],
  },
  {
    name: 'dual-stack egress IPs',
    policy: { egressIPs: ['192.0.2.10', '2001:db8::10'] },
    required: ['multipleEgressIPs', 'ipv6'],
  },
  { name: 'FailClosed', policy: { failurePolicy: 'FailClosed' }, required: ['failClosed'] },
  {
    name: 'everything at once, in ALL_CAPABILITIES order',
    policy: {
      failurePolicy: 'FailClosed',
      egressIPs: ['2001:db8::10', '2001:db8::11'],
      destinationCIDRs: [cidr('2001:db8:1::/48')],
      destinationsExplicit: true,
      excludedCIDRs: [cidr('2001:db8:1:1::/64')],
    },
    required: ['destinationCIDRs', 'multipleEgressIPs', 'ipv6', 'failClosed'],
  },
];

describe('requiredCapabilities', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      expect(requiredCapabilities(policy(testCase.policy))).to.deep.equal(testCase.required);
    });
  }

  it('never derives sharedAddress or failover, which are not properties of the spec', () => {
    const all = cases.flatMap((testCase) => requiredCapabilities(policy(testCase.policy)));
    expect(all).not.to.include('sharedAddress');
    expect(all).not.to.include('failover');
  });
});

describe('missingCapabilities', () => {
  const demanding = policy({ failurePolicy: 'FailClosed', egressIPs: ['192.0.2.10', '192.0.2.11'] });

  it('lists what the plugin does not declare', () => {
    expect(missingCapabilities(demanding, { capabilities: ['sharedAddress', 'failClosed'] })).to.deep.equal([
      'multipleEgressIPs',
    ]);
  });

  it('is empty when the plugin declares everything needed', () => {
    expect(
      missingCapabilities(demanding, { capabilities: ['multipleEgressIPs', 'failClosed'] }),
    ).to.deep.equal([]);
  });

  it('lists every requirement for a plugin without capabilities', () => {
    expect(missingCapabilities(demanding, { capabilities: [] })).to.deep.equal([
      'multipleEgressIPs',
      'failClosed',
    ]);
  });
});
