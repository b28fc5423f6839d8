// The Tier and GlobalNetworkPolicies that make FailClosed hold on Calico: a selected pod whose source address
// is not one of our pools' (it predates the pool, the webhook was down, the pool is not created yet) is
// denied egress to the policy's destinations. Pure.
import {
  defaultRoute,
  parseCidr,
  type ClusterEgressTable,
  type ClusterPolicyEntry,
  type IPFamily,
} from '@egress-proxier/core';
import { apiVersionOf, type CalicoApi } from '../calico/calico-api.js';
import type { GlobalNetworkPolicy, PolicyRule, Tier } from '../calico/global-network-policy.js';
import type { IPPool } from '../calico/ippool.js';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  OWNER_LABEL,
  OWNER_NAME_ANNOTATION,
  ownerLabelValue,
} from '../calico/ownership.js';
import { calicoSelector, NAMESPACE_LABEL } from './calico-selector.js';
import type { DesiredPool } from './desired-pool.js';
import {
  DENY_POLICY_ORDER,
  FAIL_CLOSED_TIER,
  FAIL_CLOSED_TIER_ORDER,
  failClosedPolicyName,
  PASS_POLICY_NAME,
  PASS_POLICY_ORDER,
} from './fail-closed-naming.js';

export interface DesiredFailClosedPolicy {
  /** The Egress this policy enforces; null for the tier's closing Pass policy. */
  egressName: string | null;
  object: GlobalNetworkPolicy;
}

export interface FailClosedPlan {
  /** Undefined when no accepted Egress is FailClosed: nothing is written, and what we wrote goes. */
  tier: Tier | undefined;
  policies: DesiredFailClosedPolicy[];
}

export interface FailClosedInputs {
  /** Our pools that exist now, of every Egress. */
  poolsInPlace: readonly DesiredPool[];
  /** Every IPPool in the cluster: pod addresses, so destinations never denied. */
  existingPools: readonly IPPool[];
}

const FAMILIES: readonly IPFamily[] = [4, 6];

export function planFailClosed(
  table: ClusterEgressTable,
  calico: CalicoApi,
  inputs: FailClosedInputs,
): FailClosedPlan {
  const failClosed = table.policies.filter((p) => p.failurePolicy === 'FailClosed');
  if (failClosed.length === 0) return { tier: undefined, policies: [] };
  const apiVersion = apiVersionOf(calico.api);
  // Any of our pools, not only this Egress's: a pod selected by two Egresses gets the first one's pool
  // (by name), and leaving with that egress address is no leak.
  const allowedSources = byFamily(inputs.poolsInPlace.map((pool) => pool.object.spec.cidr));
  // Cluster destinations, plus every pool: with Calico IPAM, pods live in its pools, not in node podCIDRs.
  const inside = byFamily([
    ...table.clusterCIDRs,
    ...inputs.existingPools.map((pool) => pool.spec.cidr),
    ...inputs.poolsInPlace.map((pool) => pool.object.spec.cidr),
  ]);
  return {
    tier: desiredTier(apiVersion),
    policies: [
      ...failClosed.map((policy) => ({
        egressName: policy.name,
        object: denyPolicy(policy, apiVersion, allowedSources, inside),
      })),
      { egressName: null, object: passPolicy(apiVersion) },
    ],
  };
}

function desiredTier(apiVersion: string): Tier {
  return {
    apiVersion,
    kind: 'Tier',
    metadata: { name: FAIL_CLOSED_TIER, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
    // Pass, so that even between our writes the tier never drops what it did not mean to.
    spec: { order: FAIL_CLOSED_TIER_ORDER, defaultAction: 'Pass' },
  };
}

function denyPolicy(
  policy: ClusterPolicyEntry,
  apiVersion: string,
  allowedSources: Map<IPFamily, string[]>,
  inside: Map<IPFamily, string[]>,
): GlobalNetworkPolicy {
  const families = FAMILIES.filter((family) => policy.egressIPs.some((ip) => familyOf(ip) === family));
  return {
    apiVersion,
    kind: 'GlobalNetworkPolicy',
    metadata: {
      name: failClosedPolicyName(policy.name),
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [OWNER_LABEL]: ownerLabelValue(policy.name) },
      annotations: { [OWNER_NAME_ANNOTATION]: policy.name },
    },
    spec: {
      tier: FAIL_CLOSED_TIER,
      order: DENY_POLICY_ORDER,
      selector: calicoSelector(policy.namespaceSelector, policy.podSelector),
      types: ['Egress'],
      // One rule per family: Calico refuses a rule that mixes IPv4 and IPv6 nets.
      egress: families.map((family) => denyRule(policy, family, allowedSources, inside)),
    },
  };
}

function denyRule(
  policy: ClusterPolicyEntry,
  family: IPFamily,
  allowedSources: Map<IPFamily, string[]>,
  inside: Map<IPFamily, string[]>,
): PolicyRule {
  const explicit = policy.destinationCIDRs.filter((cidr) => familyOf(cidr) === family);
  const destinations = explicit.length > 0 ? explicit : [defaultRoute(family).text];
  const notDestinations = sortedUnique([
    ...policy.excludedCIDRs.filter((cidr) => familyOf(cidr) === family),
    ...(inside.get(family) ?? []),
  ]);
  const sources = allowedSources.get(family) ?? [];
  return {
    action: 'Deny',
    ipVersion: family,
    // No pool in place yet: every source of this family is denied, which is what FailClosed asks.
    ...(sources.length === 0 ? {} : { source: { notNets: sources } }),
    destination: {
      nets: sortedUnique(destinations),
      ...(notDestinations.length === 0 ? {} : { notNets: notDestinations }),
    },
  };
}

/** Ends our tier for every pod explicitly, also on Calico versions whose Tier has no defaultAction. */
function passPolicy(apiVersion: string): GlobalNetworkPolicy {
  return {
    apiVersion,
    kind: 'GlobalNetworkPolicy',
    metadata: { name: PASS_POLICY_NAME, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
    spec: {
      tier: FAIL_CLOSED_TIER,
      order: PASS_POLICY_ORDER,
      selector: `has(${NAMESPACE_LABEL})`,
      types: ['Egress'],
      egress: [{ action: 'Pass' }],
    },
  };
}

function byFamily(cidrs: readonly string[]): Map<IPFamily, string[]> {
  const result = new Map<IPFamily, string[]>();
  for (const text of cidrs) {
    const parsed = parseCidr(text);
    if (!('cidr' in parsed)) continue;
    result.set(parsed.cidr.family, [...(result.get(parsed.cidr.family) ?? []), parsed.cidr.text]);
  }
  for (const [family, list] of result) result.set(family, sortedUnique(list));
  return result;
}

function familyOf(addressOrCidr: string): IPFamily {
  return addressOrCidr.includes(':') ? 6 : 4;
}

function sortedUnique(list: readonly string[]): string[] {
  return [...new Set(list)].sort();
}
