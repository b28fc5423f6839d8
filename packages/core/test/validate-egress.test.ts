// Every field of the Egress spec, good and bad, as data.
import { expect } from 'chai';
import { validateEgress } from '../src/api/validate-egress.js';
import { egress } from './support/builders.js';

const ns = { namespaceSelector: { matchLabels: { team: 'a' } } };

interface Case {
  name: string;
  object: unknown;
  problems: string[];
}

const cases: Case[] = [
  { name: 'minimal valid policy', object: egress('a', ns), problems: [] },
  { name: 'pod selector alone is valid', object: egress('a', { podSelector: {} }), problems: [] },
  { name: 'not an object', object: 'x', problems: [': must be an object'] },
  {
    name: 'wrong apiVersion',
    object: { ...egress('a', ns), apiVersion: 'v1' },
    problems: ['apiVersion: must be egress.proxier.io/v1alpha1'],
  },
  { name: 'wrong kind', object: { ...egress('a', ns), kind: 'Pod' }, problems: ['kind: must be Egress'] },
  {
    name: 'missing name',
    object: { ...egress('a', ns), metadata: {} },
    problems: ['metadata.name: required'],
  },
  {
    name: 'bad name',
    object: egress('Bad_Name', ns),
    problems: ['metadata.name: must be a lowercase RFC 1123 subdomain of at most 253 characters'],
  },
  {
    name: 'namespaced',
    object: egress('a', ns, { namespace: 'x' }),
    problems: ['metadata.namespace: Egress is cluster-scoped and must not have a namespace'],
  },
  {
    name: 'missing spec',
    object: { apiVersion: 'egress.proxier.io/v1alpha1', kind: 'Egress', metadata: { name: 'a' } },
    problems: ['spec: required'],
  },
  {
    name: 'both selectors absent',
    object: egress('a', {}),
    problems: ['spec: at least one of namespaceSelector and podSelector is required'],
  },
  {
    name: 'null selectors count as absent',
    object: egress('a', { namespaceSelector: null, podSelector: null } as never),
    problems: ['spec: at least one of namespaceSelector and podSelector is required'],
  },
  {
    name: 'unknown spec field',
    object: egress('a', { ...ns, selector: {} }),
    problems: ['spec.selector: unknown field'],
  },
  {
    name: 'bad namespace selector',
    object: egress('a', { namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }),
    problems: [
      "spec.namespaceSelector.matchExpressions[0].values: must be specified when `operator` is 'In' or 'NotIn'",
    ],
  },
  {
    name: 'bad pod selector',
    object: egress('a', { podSelector: { matchLabels: { 'a b': 'c' } } }),
    problems: [
      `spec.podSelector.matchLabels: key "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    ],
  },
  {
    name: 'bad gateway selector',
    object: egress('a', { ...ns, gatewayNodeSelector: 'x' }),
    problems: ['spec.gatewayNodeSelector: must be an object'],
  },
  {
    name: 'egressIPs missing',
    object: egress('a', { ...ns, egressIPs: undefined }),
    problems: ['spec.egressIPs: required'],
  },
  {
    name: 'egressIPs not a list',
    object: egress('a', { ...ns, egressIPs: '192.0.2.1' }),
    problems: ['spec.egressIPs: must be a list of IP addresses'],
  },
  {
    name: 'egressIPs empty',
    object: egress('a', { ...ns, egressIPs: [] }),
    problems: ['spec.egressIPs: must have 1 to 16 items, has 0'],
  },
  {
    name: 'egressIPs too many',
    object: egress('a', { ...ns, egressIPs: Array.from({ length: 17 }, (_, i) => `192.0.2.${i + 1}`) }),
    problems: ['spec.egressIPs: must have 1 to 16 items, has 17'],
  },
  {
    name: 'egress IP invalid',
    object: egress('a', { ...ns, egressIPs: ['192.0.2.300'] }),
    problems: ['spec.egressIPs[0]: "192.0.2.300" is not a valid IP address'],
  },
  {
    name: 'egress IP shorthand rejected',
    object: egress('a', { ...ns, egressIPs: ['10.1'] }),
    problems: ['spec.egressIPs[0]: "10.1" is not a valid IP address'],
  },
  {
    name: 'egress IP with a prefix rejected',
    object: egress('a', { ...ns, egressIPs: ['192.0.2.1/32'] }),
    problems: ['spec.egressIPs[0]: "192.0.2.1/32" is not a valid IP address'],
  },
  {
    name: 'egress IP duplicate after normalisation',
    object: egress('a', { ...ns, egressIPs: ['2001:db8::1', '2001:DB8:0::1'] }),
    problems: ['spec.egressIPs[1]: duplicate of 2001:db8::1'],
  },
  {
    name: 'destination CIDR invalid',
    object: egress('a', { ...ns, destinationCIDRs: ['203.0.113.0'] }),
    problems: ['spec.destinationCIDRs[0]: "203.0.113.0": must be a CIDR such as 203.0.113.0/24'],
  },
  {
    name: 'destination CIDR host bits',
    object: egress('a', { ...ns, destinationCIDRs: ['203.0.113.5/24'] }),
    problems: [
      'spec.destinationCIDRs[0]: "203.0.113.5/24": host bits are set; the network is 203.0.113.0/24',
    ],
  },
  {
    name: 'destination CIDR with a second "/" rejected, not cut short',
    object: egress('a', { ...ns, destinationCIDRs: ['203.0.113.0/24/8'] }),
    problems: [
      'spec.destinationCIDRs[0]: "203.0.113.0/24/8": more than one "/": a CIDR is one address and one prefix length',
    ],
  },
  {
    name: 'excluded CIDR with a second "/" rejected',
    object: egress('a', { ...ns, excludedCIDRs: ['10.0.0.0/8/'] }),
    problems: [
      'spec.excludedCIDRs[0]: "10.0.0.0/8/": more than one "/": a CIDR is one address and one prefix length',
    ],
  },
  {
    name: 'destination CIDR bad prefix',
    object: egress('a', { ...ns, destinationCIDRs: ['203.0.113.0/33'] }),
    problems: [
      'spec.destinationCIDRs[0]: "203.0.113.0/33": prefix length must be an integer from 0 to 32 without leading zeros',
    ],
  },
  {
    name: 'destination CIDR of a family without egress IP',
    object: egress('a', { ...ns, destinationCIDRs: ['2001:db8::/32'] }),
    problems: ['spec.destinationCIDRs[0]: 2001:db8::/32 is IPv6 but no egress IP is'],
  },
  {
    name: 'destination CIDRs duplicate',
    object: egress('a', { ...ns, destinationCIDRs: ['203.0.113.0/24', '203.0.113.0/24'] }),
    problems: ['spec.destinationCIDRs[1]: duplicate of 203.0.113.0/24'],
  },
  {
    name: 'excluded CIDR invalid',
    object: egress('a', { ...ns, excludedCIDRs: ['nope/8'] }),
    problems: ['spec.excludedCIDRs[0]: "nope/8": "nope" is not a valid IP address'],
  },
  {
    name: 'excluded CIDRs not a list',
    object: egress('a', { ...ns, excludedCIDRs: '10.0.0.0/8' }),
    problems: ['spec.excludedCIDRs: must be a list of CIDRs'],
  },
  {
    name: 'priority not an integer',
    object: egress('a', { ...ns, priority: 1.5 }),
    problems: ['spec.priority: must be a 32-bit integer'],
  },
  {
    name: 'priority out of range',
    object: egress('a', { ...ns, priority: 2 ** 31 }),
    problems: ['spec.priority: must be a 32-bit integer'],
  },
  {
    name: 'failurePolicy invalid',
    object: egress('a', { ...ns, failurePolicy: 'Open' as never }),
    problems: ['spec.failurePolicy: must be one of FailClosed, FailOpen'],
  },
  {
    name: 'every problem at once',
    object: egress('a', { egressIPs: ['x'], priority: 'high' as never, failurePolicy: 'x' as never }),
    problems: [
      'spec: at least one of namespaceSelector and podSelector is required',
      'spec.egressIPs[0]: "x" is not a valid IP address',
      'spec.priority: must be a 32-bit integer',
      'spec.failurePolicy: must be one of FailClosed, FailOpen',
    ],
  },
];

describe('validateEgress', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = validateEgress(testCase.object);
      const problems = result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
      expect(problems).to.deep.equal(testCase.problems);
    });
  }

  it('applies defaults', () => {
    const result = validateEgress(egress('a', ns));
    if (!result.ok) throw new Error('expected a valid policy');
    expect(result.policy.failurePolicy).to.equal('FailClosed');
    expect(result.policy.priority).to.equal(0);
    expect(result.policy.destinationCIDRs.map((c) => c.text)).to.deep.equal(['0.0.0.0/0']);
    expect(result.policy.destinationsExplicit).to.equal(false);
    expect(result.policy.gatewayNodeSelector.text).to.equal('egress.proxier.io/gateway=true');
    expect(result.policy.podSelector).to.equal(null);
  });

  it('gives dual-stack policies a default route per family', () => {
    const result = validateEgress(egress('a', { ...ns, egressIPs: ['2001:db8::10', '192.0.2.10'] }));
    if (!result.ok) throw new Error('expected a valid policy');
    expect(result.policy.destinationCIDRs.map((c) => c.text)).to.deep.equal(['0.0.0.0/0', '::/0']);
  });

  it('never throws, whatever it is given', () => {
    const junk: unknown[] = [
      null,
      undefined,
      0,
      [],
      { spec: [] },
      { metadata: 'x', spec: { egressIPs: [null, {}, 5] } },
      { spec: { namespaceSelector: { matchExpressions: [null] } } },
    ];
    for (const value of junk) expect(() => validateEgress(value)).not.to.throw();
  });
});
