// tracePacket over the user stories of DESIGN.md and docs/: one cluster, a list of cases (policies in,
// packet in, verdict / address seen outside / each candidate's outcome out), one runner.
import { expect } from 'chai';
import { EgressModel } from '../../src/model/egress-model.js';
import { tracePacket } from '../../src/trace/trace-packet.js';
import { TraceError, type TraceRequest } from '../../src/trace/trace-request.js';
import type { CandidateOutcome, LeavesAs, TraceDecision } from '../../src/trace/trace-result.js';
import { egress, namespace, node, pod } from '../support/builders.js';

const PAYMENTS = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } } };
const NO_GATEWAY = { gatewayNodeSelector: { matchLabels: { role: 'no-such-node' } } };

/** node-a is a plain node, node-b the only gateway; both dual-stack. */
function cluster(egresses: ReturnType<typeof egress>[]): EgressModel {
  const model = new EgressModel({ clusterCIDRs: ['10.244.0.0/16', '10.96.0.0/12', 'fd00:10:244::/48'] });
  model.upsertNode(node('node-a', '192.0.2.11', { labels: {}, internalIPs: ['192.0.2.11', '2001:db8::11'] }));
  model.upsertNode(node('node-b', '192.0.2.12', { internalIPs: ['192.0.2.12', '2001:db8::12'] }));
  model.upsertNamespace(namespace('payments'));
  model.upsertNamespace(namespace('shop'));
  const on = (nodeName: string, podIPs: string[], labels = { app: 'api' }) => ({ nodeName, podIPs, labels });
  model.upsertPod(pod('payments', 'api-a', on('node-a', ['10.244.1.2', 'fd00:10:244:1::2'])));
  model.upsertPod(pod('payments', 'api-b', on('node-b', ['10.244.2.2'])));
  model.upsertPod(pod('shop', 'web', on('node-a', ['10.244.1.3'], { app: 'web' })));
  model.upsertPod(pod('payments', 'host', { ...on('node-a', ['192.0.2.11']), hostNetwork: true }));
  for (const object of egresses) model.upsertEgress(object);
  return model;
}

interface Case {
  name: string;
  egresses: ReturnType<typeof egress>[];
  from: string;
  to: string;
  decision: TraceDecision;
  leavesAs: LeavesAs;
  /** policy → outcome, in the order the trace lists them. */
  candidates: [string, CandidateOutcome][];
}

const STEER_B = { node: 'node-b', nodeIP: '192.0.2.12' };
const VIA_B = (address: string): LeavesAs => ({ kind: 'egressIP', address, gatewayNode: 'node-b' });
const NODE_A: LeavesAs = { kind: 'nodeAddress', address: '192.0.2.11', node: 'node-a' };
const DECIDES: CandidateOutcome = { kind: 'decides' };
const outranked = (by: string, on: string, conflicted: boolean) =>
  ({ kind: 'outranked', by, on, conflicted }) as CandidateOutcome;
const OLD = { creationTimestamp: '2025-01-01T00:00:00Z' };
const NEW = { creationTimestamp: '2026-01-01T00:00:00Z' };

const cases: Case[] = [
  {
    name: 'story 1: a namespace’s pods leave with one IP, steered from a source node to the gateway',
    egresses: [egress('payments', { ...PAYMENTS, egressIPs: ['192.0.2.100'] })],
    from: 'payments/api-a',
    to: '203.0.113.5',
    decision: { action: 'steer', policy: 'payments', egressIP: '192.0.2.100', gateway: STEER_B },
    leavesAs: VIA_B('192.0.2.100'),
    candidates: [['payments', DECIDES]],
  },
  {
    name: 'a pod on the gateway node is SNATed there',
    egresses: [egress('payments', { ...PAYMENTS, egressIPs: ['192.0.2.100'] })],
    from: 'payments/api-b',
    to: '203.0.113.5',
    decision: { action: 'snat', policy: 'payments', egressIP: '192.0.2.100' },
    leavesAs: VIA_B('192.0.2.100'),
    candidates: [['payments', DECIDES]],
  },
  {
    name: 'story 3: the longer destination prefix wins',
    egresses: [
      egress('all', { ...PAYMENTS, egressIPs: ['192.0.2.100'] }),
      egress('db', { ...PAYMENTS, egressIPs: ['192.0.2.101'], destinationCIDRs: ['203.0.113.0/24'] }),
    ],
    from: 'payments/api-a',
    to: '203.0.113.5',
    decision: { action: 'steer', policy: 'db', egressIP: '192.0.2.101', gateway: STEER_B },
    leavesAs: VIA_B('192.0.2.101'),
    candidates: [
      ['db', DECIDES],
      ['all', outranked('db', 'prefixLength', false)],
    ],
  },
  {
    name: 'story 3: outside the longer prefix the shorter one decides',
    egresses: [
      egress('all', { ...PAYMENTS, egressIPs: ['192.0.2.100'] }),
      egress('db', { ...PAYMENTS, egressIPs: ['192.0.2.101'], destinationCIDRs: ['203.0.113.0/24'] }),
    ],
    from: 'payments/api-a',
    to: '198.51.100.9',
    decision: { action: 'steer', policy: 'all', egressIP: '192.0.2.100', gateway: STEER_B },
    leavesAs: VIA_B('192.0.2.100'),
    candidates: [
      ['all', DECIDES],
      ['db', { kind: 'destinationNotCovered' }],
    ],
  },
  {
    name: 'an equal prefix goes to the higher priority (a real tie: Conflicted)',
    egresses: [
      egress('a', { ...PAYMENTS, egressIPs: ['192.0.2.100'] }),
      egress('b', { ...PAYMENTS, egressIPs: ['192.0.2.101'], priority: 10 }),
    ],
    from: 'payments/api-a',
    to: '203.0.113.5',
    decision: { action: 'steer', policy: 'b', egressIP: '192.0.2.101', gateway: STEER_B },
    leavesAs: VIA_B('192.0.2.101'),
    candidates: [
      ['b', DECIDES],
      ['a', outranked('b', 'priority', true)],
    ],
  },
  {
    name: 'equal prefix and priority: the older policy',
    egresses: [
      egress('a-new', { ...PAYMENTS, egressIPs: ['192.0.2.100'] }, NEW),
      egress('z-old', { ...PAYMENTS, egressIPs: ['192.0.2.101'] }, OLD),
    ],
    from: 'payments/api-a',
    to: '203.0.113.5',
    decision: { action: 'steer', policy: 'z-old', egressIP: '192.0.2.101', gateway: STEER_B },
    leavesAs: VIA_B('192.0.2.101'),
    candidates: [
      ['z-old', DECIDES],
      ['a-new', outranked('z-old', 'creationTimestamp', true)],
    ],
  },
  {
    name: 'equal prefix, priority and age: the name',
    egresses: [
      egress('beta', { ...PAYMENTS, egressIPs: ['192.0.2.101'] }),
      egress('alpha', { ...PAYMENTS, egressIPs: ['192.0.2.100'] }),
    ],
    from: 'payments/api-a',
    to: '203.0.113.5',
    decision: { action: 'steer', policy: 'alpha', egressIP: '192.0.2.100', gateway: STEER_B },
    leavesAs: VIA_B('192.0.2.100'),
    candidates: [
      ['alpha', DECIDES],
      ['beta', outranked('alpha', 'name', true)],
    ],
  },
  {
    name: 'an exclusion lets the packet out with the node address',
    egresses: [
      egress('db', {
        ...PAYMENTS,
        destinationCIDRs: ['203.0.113.0/24'],
        excludedCIDRs: ['203.0.113.128/25'],
      }),
    ],
    from: 'payments/api-a',
    to: '203.0.113.200',
    decision: {
      action: 'none',
      reason: { kind: 'excluded', by: [{ policy: 'db', cidr: '203.0.113.128/25' }] },
    },
    leavesAs: NODE_A,
    candidates: [['db', { kind: 'excluded', cidr: '203.0.113.128/25' }]],
  },
  {
    name: 'an excluded destination falls through to a broader policy',
    egresses: [
      egress('all', { ...PAYMENTS, egressIPs: ['192.0.2.100'] }),
      egress('db', {
        ...PAYMENTS,
        egressIPs: ['192.0.2.101'],
        destinationCIDRs: ['203.0.113.0/24'],
        excludedCIDRs: ['203.0.113.128/25'],
        priority: 5,
      }),
    ],
    from: 'payments/api-a',
    to: '203.0.113.200',
    decision: { action: 'steer', policy: 'all', egressIP: '192.0.2.100', gateway: STEER_B },
    leavesAs: VIA_B('192.0.2.100'),
    candidates: [
      ['all', DECIDES],
      ['db', { kind: 'excluded', cidr: '203.0.113.128/25' }],
    ],
  },
  {
    name: 'FailClosed with no eligible gateway drops on the pod’s node',
    egresses: [egress('payments', { ...PAYMENTS, ...NO_GATEWAY })],
    from: 'payments/api-a',
    to: '203.0.113.5',
    decision: { action: 'drop', policy: 'payments', egressIPs: [{ ip: '192.0.2.100', gateway: null }] },
    leavesAs: { kind: 'dropped' },
    candidates: [['payments', DECIDES]],
  },
  {
    name: 'FailOpen with no eligible gateway leaves with the node address',
    egresses: [egress('payments', { ...PAYMENTS, ...NO_GATEWAY, failurePolicy: 'FailOpen' })],
    from: 'payments/api-a',
    to: '203.0.113.5',
    decision: { action: 'bypass', policy: 'payments', egressIPs: [{ ip: '192.0.2.100', gateway: null }] },
    leavesAs: NODE_A,
    candidates: [['payments', DECIDES]],
  },
  {
    name: 'a service address is a cluster destination: never SNATed',
    egresses: [egress('payments', PAYMENTS)],
    from: 'payments/api-a',
    to: '10.96.0.10',
    decision: { action: 'none', reason: { kind: 'clusterDestination', cidr: '10.96.0.0/12' } },
    leavesAs: { kind: 'podAddress', address: '10.244.1.2' },
    candidates: [['payments', { kind: 'clusterDestination' }]],
  },
  {
    name: 'a node address is a cluster destination even outside the configured ranges',
    egresses: [egress('payments', PAYMENTS)],
    from: 'payments/api-a',
    to: '192.0.2.12',
    decision: { action: 'none', reason: { kind: 'clusterDestination', cidr: '192.0.2.12/32' } },
    leavesAs: { kind: 'podAddress', address: '10.244.1.2' },
    candidates: [['payments', { kind: 'clusterDestination' }]],
  },
  {
    name: 'a pod no policy selects leaves with its node’s address',
    egresses: [egress('payments', PAYMENTS)],
    from: 'shop/web',
    to: '203.0.113.5',
    decision: { action: 'none', reason: { kind: 'notSelected' } },
    leavesAs: NODE_A,
    candidates: [],
  },
  {
    name: 'IPv6: the policy’s IPv6 egress IP, steered to the gateway’s IPv6 address',
    egresses: [egress('payments', { ...PAYMENTS, egressIPs: ['192.0.2.100', '2001:db8:e::100'] })],
    from: 'payments/api-a',
    to: '2001:db8:ff::5',
    decision: {
      action: 'steer',
      policy: 'payments',
      egressIP: '2001:db8:e::100',
      gateway: { node: 'node-b', nodeIP: '2001:db8::12' },
    },
    leavesAs: VIA_B('2001:db8:e::100'),
    candidates: [['payments', DECIDES]],
  },
  {
    name: 'IPv6 to a policy with IPv4 egress IPs only: no rule, node address',
    egresses: [egress('payments', PAYMENTS)],
    from: 'payments/api-a',
    to: '2001:db8:ff::5',
    decision: { action: 'none', reason: { kind: 'notCovered' } },
    leavesAs: { kind: 'nodeAddress', address: '2001:db8::11', node: 'node-a' },
    candidates: [['payments', { kind: 'noEgressIPOfFamily' }]],
  },
  {
    name: 'a hostNetwork pod is never ours',
    egresses: [egress('payments', PAYMENTS)],
    from: 'payments/host',
    to: '203.0.113.5',
    decision: { action: 'none', reason: { kind: 'hostNetwork' } },
    leavesAs: NODE_A,
    candidates: [],
  },
];

function request(from: string, to: string): TraceRequest {
  const [namespace = '', name = ''] = from.split('/');
  return { pod: { namespace, name }, destination: to, port: null };
}

describe('tracePacket', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = tracePacket(cluster(c.egresses), request(c.from, c.to));
      expect(result.decision).to.deep.equal(c.decision);
      expect(result.leavesAs).to.deep.equal(c.leavesAs);
      expect(result.candidates.map((candidate) => [candidate.policy, candidate.outcome])).to.deep.equal(
        c.candidates,
      );
    });
  }

  it('reports the pod, its node’s hosted IPs and the matched destination', () => {
    const model = cluster([egress('db', { ...PAYMENTS, destinationCIDRs: ['203.0.113.0/24'] })]);
    const result = tracePacket(model, { ...request('payments/api-b', '203.0.113.5'), port: 443 });
    expect(result.pod).to.deep.equal({
      namespace: 'payments',
      name: 'api-b',
      node: 'node-b',
      ip: '10.244.2.2',
      hostNetwork: false,
    });
    expect(result.destination).to.deep.equal({ ip: '203.0.113.5', port: 443, family: 4 });
    expect(result.node).to.deep.equal({ name: 'node-b', hostedEgressIPs: ['192.0.2.100'] });
    expect(result.candidates[0]?.matchedDestination).to.equal('203.0.113.0/24');
  });

  it('lists refused policies, which select nothing', () => {
    const model = cluster([egress('inside', { ...PAYMENTS, egressIPs: ['10.244.9.9'] })]);
    const result = tracePacket(model, request('payments/api-a', '203.0.113.5'));
    expect(result.decision).to.deep.equal({ action: 'none', reason: { kind: 'notSelected' } });
    expect(result.refused).to.deep.equal([
      {
        policy: 'inside',
        reason: 'EgressIPInClusterRange',
        message: 'egress IP 10.244.9.9 is inside cluster range 10.244.0.0/16',
      },
    ]);
  });

  const untraceable: {
    name: string;
    from: string;
    to: string;
    message: RegExp;
    setup?: (m: EgressModel) => void;
  }[] = [
    {
      name: 'an unknown pod',
      from: 'payments/nope',
      to: '203.0.113.5',
      message: /^pod payments\/nope not found$/,
    },
    {
      name: 'a pod without IP',
      from: 'payments/new',
      to: '203.0.113.5',
      message: /has no IP address yet/,
      setup: (m) => m.upsertPod(pod('payments', 'new', { nodeName: 'node-a', phase: 'Pending' })),
    },
    {
      name: 'an unscheduled pod',
      from: 'payments/pending',
      to: '203.0.113.5',
      message: /is not scheduled to a node yet/,
      setup: (m) => m.upsertPod(pod('payments', 'pending', { nodeName: '', phase: 'Pending' })),
    },
    {
      name: 'a finished pod',
      from: 'payments/job',
      to: '203.0.113.5',
      message: /has finished \(phase Succeeded\)/,
      setup: (m) => m.upsertPod(pod('payments', 'job', { phase: 'Succeeded', podIPs: ['10.244.1.9'] })),
    },
    {
      name: 'an IPv6 destination from an IPv4-only pod',
      from: 'payments/api-b',
      to: '2001:db8:ff::5',
      message:
        /^pod payments\/api-b has no IPv6 address \(its addresses: 10\.244\.2\.2\), so it cannot send to 2001:db8:ff::5$/,
    },
  ];
  for (const c of untraceable) {
    it(`refuses ${c.name}`, () => {
      const model = cluster([egress('payments', PAYMENTS)]);
      c.setup?.(model);
      let caught: unknown;
      try {
        tracePacket(model, request(c.from, c.to));
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(TraceError);
      expect((caught as TraceError).kind).to.equal('untraceablePod');
      expect((caught as TraceError).message).to.match(c.message);
    });
  }
});
