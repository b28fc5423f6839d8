// A Kubernetes LabelSelector pair (namespace, pod) as one Calico selector expression over workload endpoints.
// Calico gives every pod endpoint its namespace as `projectcalico.org/namespace` and its namespace's labels
// with a `pcns.` prefix, so the policy follows label changes without our rewriting it.
import type { LabelSelector, LabelSelectorRequirement } from '@egress-proxier/core';

/** Calico's label for a workload endpoint's namespace; present on pods only, never on host endpoints. */
export const NAMESPACE_LABEL = 'projectcalico.org/namespace';
export const NAMESPACE_LABEL_PREFIX = 'pcns.';

export function calicoSelector(
  namespaceSelector: LabelSelector | null,
  podSelector: LabelSelector | null,
): string {
  const terms = [
    `has(${NAMESPACE_LABEL})`,
    ...(namespaceSelector === null ? [] : selectorTerms(namespaceSelector, NAMESPACE_LABEL_PREFIX)),
    ...(podSelector === null ? [] : selectorTerms(podSelector, '')),
  ];
  return terms.join(' && ');
}

function selectorTerms(selector: LabelSelector, prefix: string): string[] {
  const labels = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${prefix}${key} == ${quoted(value)}`);
  return [...labels, ...(selector.matchExpressions ?? []).map((r) => requirementTerm(r, prefix))];
}

function requirementTerm(requirement: LabelSelectorRequirement, prefix: string): string {
  const key = `${prefix}${requirement.key}`;
  const values = `{${[...(requirement.values ?? [])].sort().map(quoted).join(', ')}}`;
  switch (requirement.operator) {
    case 'In':
      return `${key} in ${values}`;
    // Calico's `not in` also matches endpoints without the label, as Kubernetes' NotIn does.
    case 'NotIn':
      return `${key} not in ${values}`;
    case 'Exists':
      return `has(${key})`;
    case 'DoesNotExist':
      return `!has(${key})`;
  }
}

/** Label values are validated by the core ([A-Za-z0-9_.-]), so double quotes need no escaping. */
function quoted(value: string): string {
  return `"${value}"`;
}
