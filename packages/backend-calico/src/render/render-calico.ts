// `egress-proxier render --backend calico`: the pools and annotations a sync would write, with no cluster.
// Offline there are no existing pools, so encapsulation is shown as Never and overlaps with the cluster's
// pools cannot be seen; the sections say so.
import {
  compileLabelSelector,
  type ClusterEgressTable,
  type RenderedDatapath,
  type RenderedSection,
} from '@egress-proxier/core';
import { stringify } from 'yaml';
import type { CalicoApi } from '../calico/calico-api.js';
import { normalizeConditions } from '../plan/conditions.js';
import { planFailClosed } from '../plan/desired-fail-closed.js';
import { planNamespaces } from '../plan/plan-namespaces.js';
import { planPools } from '../plan/plan-pools.js';
import { podConditions } from '../plan/pod-conditions.js';

/** What render assumes about the cluster: the documented v3 API and a current schema. */
export const RENDER_ASSUMED_API: CalicoApi = {
  api: { group: 'projectcalico.org', version: 'v3', servedBy: 'crd' },
  fencing: 'assignmentMode',
  allowedUses: true,
};

export const SECTION_TITLES = {
  pools: 'IPPools (projectcalico.org/v3; encapsulation copied from the default pool at sync time)',
  namespaces: 'namespace annotations (merge patch)',
  pods: 'pod annotations (added by the admission webhook at pod CREATE)',
  failClosed:
    "FailClosed: Tier and GlobalNetworkPolicies (projectcalico.org/v3; the cluster's own IPPools are also excluded at sync time)",
  conditions: 'conditions',
} as const;

export function renderCalico(
  table: ClusterEgressTable,
  calico: CalicoApi = RENDER_ASSUMED_API,
): RenderedDatapath {
  const planned = planPools(table.policies, calico, []);
  const pools = [...planned.values()].flatMap((p) => p.pools);
  const poolsByPolicy = new Map([...planned].map(([name, plan]) => [name, plan.pools]));
  const namespaces = [...new Set(table.policies.flatMap((p) => p.namespaces))].sort();
  const namespacePlan = planNamespaces(
    table.policies,
    poolsByPolicy,
    namespaces.map((name) => ({ name, annotations: {} })),
    new Set(pools.map((p) => p.object.metadata.name)),
  );
  const sections: RenderedSection[] = [
    { title: SECTION_TITLES.pools, content: pools.map((p) => stringify(p.object)).join('---\n') },
    {
      title: SECTION_TITLES.namespaces,
      content: [...namespacePlan.patches]
        .map(([name, patch]) => stringify({ namespace: name, metadata: { annotations: patch } }))
        .join('---\n'),
    },
    {
      title: SECTION_TITLES.pods,
      content: table.policies
        .filter((p) => p.podSelector !== null && (poolsByPolicy.get(p.name) ?? []).length > 0)
        .map((p) =>
          stringify({
            egress: p.name,
            podSelector: compileLabelSelector(p.podSelector ?? {}).text,
            namespaceSelector:
              p.namespaceSelector === null ? '(any)' : compileLabelSelector(p.namespaceSelector).text,
            pools: (poolsByPolicy.get(p.name) ?? []).map((pool) => pool.object.metadata.name),
          }),
        )
        .join('---\n'),
    },
  ];
  const failClosed = planFailClosed(table, calico, { poolsInPlace: pools, existingPools: [] });
  sections.push({
    title: SECTION_TITLES.failClosed,
    content: [
      ...(failClosed.tier === undefined ? [] : [failClosed.tier]),
      ...failClosed.policies.map((p) => p.object),
    ]
      .map((object) => stringify(object))
      .join('---\n'),
  });
  const conditions = table.policies
    .map((policy) => {
      const list = normalizeConditions([
        ...(planned.get(policy.name)?.conditions ?? []),
        ...(namespacePlan.conditions.get(policy.name) ?? []),
        ...podConditions(policy, poolsByPolicy.get(policy.name) ?? []),
      ]);
      return { egress: policy.name, conditions: list.map((c) => `${c.type}: ${c.message}`) };
    })
    .filter((entry) => entry.conditions.length > 0);
  sections.push({
    title: SECTION_TITLES.conditions,
    content: conditions.length === 0 ? '' : stringify(conditions),
  });
  return { sections };
}
