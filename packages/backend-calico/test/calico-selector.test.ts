// The Egress's selectors as a Calico selector: cases as data.
import { expect } from 'chai';
import type { LabelSelector } from '@egress-proxier/core';
import { calicoSelector } from '../src/plan/calico-selector.js';

const cases: {
  name: string;
  namespaces: LabelSelector | null;
  pods: LabelSelector | null;
  expected: string;
}[] = [
  {
    name: 'pods only, no constraint',
    namespaces: null,
    pods: {},
    expected: 'has(projectcalico.org/namespace)',
  },
  {
    name: 'namespace labels get the pcns. prefix',
    namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'payments' } },
    pods: null,
    expected: 'has(projectcalico.org/namespace) && pcns.kubernetes.io/metadata.name == "payments"',
  },
  {
    name: 'matchLabels sorted, then every operator',
    namespaces: null,
    pods: {
      matchLabels: { tier: 'db', app: 'x' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'dev'] },
        { key: 'canary', operator: 'NotIn', values: ['true'] },
        { key: 'team', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    },
    expected:
      'has(projectcalico.org/namespace) && app == "x" && tier == "db" && env in {"dev", "prod"} && ' +
      'canary not in {"true"} && has(team) && !has(legacy)',
  },
  {
    name: 'both axes',
    namespaces: { matchExpressions: [{ key: 'team', operator: 'Exists' }] },
    pods: { matchLabels: { app: 'api' } },
    expected: 'has(projectcalico.org/namespace) && has(pcns.team) && app == "api"',
  },
];

describe('calicoSelector', () => {
  for (const c of cases) {
    it(c.name, () => expect(calicoSelector(c.namespaces, c.pods)).to.equal(c.expected));
  }
});
