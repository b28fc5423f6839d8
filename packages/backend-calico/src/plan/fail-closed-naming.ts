// Names and places of the FailClosed objects. Our policies live in a tier of their own, ordered before every
// tier users and Kubernetes write to: a `Pass` there hands the packet to the next tier, so users' policies
// (and Kubernetes NetworkPolicies, all in tier `default`) still decide everything we do not deny. In the
// default tier itself a `Pass` would skip the users' policies ordered after ours, and no `Pass` would end
// the tier with Calico's implicit deny for pods that have no policy of their own.
import { shortHash } from '../calico/ownership.js';

export const FAIL_CLOSED_TIER = 'egress-proxier';
/** Before kube-admin (1,000: AdminNetworkPolicy) and default (1,000,000): an admin's Allow cannot let a leak out. */
export const FAIL_CLOSED_TIER_ORDER = 50;
/** Every per-Egress policy; they only deny, so their order among themselves does not matter. */
export const DENY_POLICY_ORDER = 100;
/** After the per-Egress policies: what none denied goes on to the next tier. */
export const PASS_POLICY_ORDER = 10_000;
/** Not `egress-…`, so no Egress name can produce it. */
export const PASS_POLICY_NAME = `${FAIL_CLOSED_TIER}.pass-to-next-tier`;

const MAX_NAME = 253;

/**
 * `egress-proxier.egress-<egress>`: Calico wants a tier's policy names prefixed with the tier. Shortened
 * with a hash when too long.
 */
export function failClosedPolicyName(egressName: string): string {
  const name = `${FAIL_CLOSED_TIER}.egress-${egressName}`;
  if (name.length <= MAX_NAME) return name;
  const suffix = `-${shortHash(egressName, 10)}`;
  return `${name.slice(0, MAX_NAME - suffix.length).replace(/[-.]+$/, '')}${suffix}`;
}
