// The order in which rules are tried: longest destination prefix, then higher priority, then older
// policy, then name (DESIGN.md section 2). The remaining keys only make the order total and stable.
import type { EgressPolicy } from '../api/egress-policy.js';
import { compareStrings } from '../selectors/label-selector.js';
import type { Cidr } from '../net/ip.js';

export interface RankedRule {
  policy: EgressPolicy;
  destination: Cidr;
  sourceSet: string;
}

export function comparePolicyPrecedence(a: EgressPolicy, b: EgressPolicy): number {
  return (
    b.priority - a.priority ||
    compareStrings(a.creationTimestamp, b.creationTimestamp) ||
    compareStrings(a.name, b.name)
  );
}

export function compareRulePrecedence(a: RankedRule, b: RankedRule): number {
  return (
    b.destination.prefixLength - a.destination.prefixLength ||
    comparePolicyPrecedence(a.policy, b.policy) ||
    a.destination.family - b.destination.family ||
    compareStrings(a.destination.text, b.destination.text) ||
    compareStrings(a.sourceSet, b.sourceSet)
  );
}
