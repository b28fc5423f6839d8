// The scenario table: objects in, source address seen out, per pod and destination. Every case runs once per
// family with egress IPs and CIDRs of that family only. Pods are "node-index": pod 1 of each node is in
// namespace payments (app=db-client), pod 2 in shop (app=web); node-1 and node-2 carry the gateway label.
import type { CaseContext, EgressSpecInput, Seen, Target } from './case-context.js';
import { CaseFailure } from './case-context.js';
import type { EgressKey } from './addresses.js';

type Row = readonly [string, Target, Seen];

export interface SourceCase {
  id: string;
  title: string;
  policies: Readonly<Record<string, EgressSpecInput>>;
  expect: readonly Row[];
  /** Further steps: change objects, converge, expect again. */
  then?: readonly {
    change: (context: CaseContext) => void;
    policies?: Readonly<Record<string, EgressSpecInput | null>>;
    expect: readonly Row[];
  }[];
}

const payments = (ips: EgressKey[], extra: Partial<EgressSpecInput> = {}): EgressSpecInput => ({
  namespace: 'payments',
  ips,
  ...extra,
});

export const SOURCE_CASES: readonly SourceCase[] = [
  {
    id: 'namespace-one-ip',
    title: "story 1: a namespace's pods leave as one egress IP, from the gateway and from other nodes",
    policies: { payments: payments(['a'], { gateway: 'node-1' }) },
    expect: [
      ['1-1', 'db', 'a'],
      ['2-1', 'db', 'a'],
      ['3-1', 'web', 'a'],
      ['3-2', 'db', 'node'],
      ['1-2', 'web', 'node'],
    ],
  },
  {
    id: 'pod-selector',
    title: 'story 2: pods chosen by label leave as their egress IP; others keep the node IP',
    policies: { web: { app: 'web', ips: ['b'], gateway: 'node-2' } },
    expect: [
      ['1-2', 'web', 'b'],
      ['3-2', 'db', 'b'],
      ['2-2', 'web', 'b'],
      ['1-1', 'web', 'node'],
    ],
  },
  {
    id: 'per-destination',
    title: 'story 3: one pod, different databases, different egress IPs',
    policies: {
      'to-db': payments(['a'], { to: 'db', gateway: 'node-1' }),
      'to-web': payments(['b'], { to: 'web', gateway: 'node-2' }),
    },
    expect: [
      ['1-1', 'db', 'a'],
      ['1-1', 'web', 'b'],
      ['3-1', 'db', 'a'],
      ['3-1', 'web', 'b'],
      ['2-1', 'web', 'b'],
    ],
  },
  {
    id: 'excluded-cidrs',
    title: 'excludedCIDRs inside a destination leave with the node IP',
    policies: { payments: payments(['a'], { to: 'db', except: 'dbExcluded', gateway: 'node-2' }) },
    expect: [
      ['3-1', 'db', 'a'],
      ['3-1', 'dbExcluded', 'node'],
      ['2-1', 'dbExcluded', 'node'],
      ['1-1', 'web', 'node'],
    ],
  },
  {
    id: 'cluster-untouched',
    title: 'pod-to-pod and pod-to-node traffic of a selected pod is never SNATed to an egress IP',
    policies: { payments: payments(['a'], { gateway: 'node-1' }) },
    expect: [
      ['1-1', { pod: '2-2' }, 'pod'],
      ['3-1', { pod: '2-2' }, 'pod'],
      // To a node IP the CNI's masquerade applies (the lab's), never an egress IP.
      ['2-1', { node: 3 }, 'node'],
      ['2-1', 'db', 'a'],
    ],
  },
  {
    id: 'fail-closed',
    title: 'FailClosed with no gateway drops the traffic; other pods are unaffected',
    policies: { payments: payments(['a'], { to: 'db', gateway: 'none', failurePolicy: 'FailClosed' }) },
    expect: [
      ['1-1', 'db', 'dropped'],
      ['2-1', 'db', 'dropped'],
      ['2-1', 'web', 'node'],
      ['2-2', 'db', 'node'],
    ],
  },
  {
    id: 'fail-open',
    title: 'FailOpen with no gateway leaves with the node IP, and does not fall through to a broader policy',
    policies: {
      narrow: payments(['a'], { to: 'db', gateway: 'none', failurePolicy: 'FailOpen' }),
      broad: payments(['b'], { gateway: 'node-2' }),
    },
    expect: [
      ['1-1', 'db', 'node'],
      ['3-1', 'db', 'node'],
      ['3-1', 'web', 'b'],
    ],
  },
  {
    id: 'policy-change',
    title: "a policy's egress IP and destinations change, then it is deleted",
    policies: { payments: payments(['a'], { gateway: 'node-1' }) },
    expect: [['2-1', 'db', 'a']],
    then: [
      {
        change: () => undefined,
        policies: { payments: payments(['b'], { to: 'web', gateway: 'node-2' }) },
        expect: [
          ['2-1', 'web', 'b'],
          ['2-1', 'db', 'node'],
          ['1-1', 'web', 'b'],
        ],
      },
      { change: () => undefined, policies: { payments: null }, expect: [['2-1', 'web', 'node']] },
    ],
  },
  {
    id: 'pod-label-change',
    title: 'a pod gaining and losing a selected label gains and loses the egress IP',
    policies: {
      gold: {
        podExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }],
        ips: ['c'],
        gateway: 'node-1',
      },
    },
    expect: [['3-2', 'web', 'node']],
    then: [
      {
        change: (context) => context.world.setPodLabels(context.pod('3-2'), { tier: 'gold' }),
        expect: [
          ['3-2', 'web', 'c'],
          ['2-2', 'web', 'node'],
        ],
      },
      {
        change: (context) => context.world.setPodLabels(context.pod('3-2'), {}),
        expect: [['3-2', 'web', 'node']],
      },
    ],
  },
  {
    id: 'namespace-label-change',
    title: 'a namespace gaining and losing a selected label moves all its pods',
    policies: { finance: { namespaceLabels: { team: 'finance' }, ips: ['d'], gateway: 'node-2' } },
    expect: [['1-2', 'db', 'node']],
    then: [
      {
        change: (context) => context.world.setNamespaceLabels('shop', { team: 'finance' }),
        expect: [
          ['1-2', 'db', 'd'],
          ['3-2', 'db', 'd'],
          ['1-1', 'db', 'node'],
        ],
      },
      {
        change: (context) => context.world.setNamespaceLabels('shop', { team: 'shop' }),
        expect: [['1-2', 'db', 'node']],
      },
    ],
  },
];

export async function runSourceCase(testCase: SourceCase, context: CaseContext): Promise<void> {
  for (const [name, input] of Object.entries(testCase.policies))
    context.world.applyEgress(name, context.spec(input));
  await context.converge();
  await context.expectSources(testCase.expect);
  for (const [index, step] of (testCase.then ?? []).entries()) {
    step.change(context);
    for (const [name, input] of Object.entries(step.policies ?? {})) {
      if (input === null) context.world.deleteEgress(name);
      else context.world.applyEgress(name, context.spec(input));
    }
    await context.converge();
    try {
      await context.expectSources(step.expect);
    } catch (error) {
      if (error instanceof CaseFailure)
        throw new CaseFailure(error.details.map((d) => `step ${index + 2}: ${d}`));
      throw error;
    }
  }
}

/** Several egress IPs spread pods: each pod leaves as the IP the core picked for it, and both are used. */
export async function runSpreadCase(context: CaseContext): Promise<void> {
  const ips: EgressKey[] = ['a', 'b'];
  context.world.applyEgress(
    'spread',
    context.spec({ podExpressions: [{ key: 'app', operator: 'Exists' }], ips }),
  );
  await context.converge();
  const policy = context.world.model.acceptedPolicy('spread');
  if (policy === undefined) throw new Error('spread policy not accepted');
  const rows: [string, Target, string][] = [];
  for (const pod of context.lab.pods) {
    const chosen = context.world.model.egressIPFor(policy, context.world.podAddress(pod, context.family));
    if (typeof chosen !== 'string') throw new Error(`the core chose no egress IP for ${pod.name}`);
    rows.push([`${pod.node.index}-${pod.name.split('-')[2]}`, 'web', chosen]);
  }
  const used = new Set(rows.map(([, , ip]) => ip));
  if (used.size < 2)
    throw new Error(`case error: the core put all pods on ${[...used].join()}; pick other IPs`);
  await context.expectSources(rows);
  context.details.push(`pods spread over ${[...used].join(', ')}`);
}
