// Which pools a new pod should request: the first accepted Egress (by name) with a podSelector that selects
// it. Namespace-wide policies (no podSelector) are served by the namespace annotation instead.
import { compileLabelSelector, type ClusterEgressTable, type Labels } from '@egress-proxier/core';
import { IPV4_POOLS_ANNOTATION, IPV6_POOLS_ANNOTATION } from '../calico/ownership.js';
import { poolName } from '../plan/pool-naming.js';

export interface PodPoolRequest {
  egressName: string;
  /** Calico annotation key → JSON list of pool names. */
  annotations: Record<string, string>;
}

export async function podPoolRequest(
  table: ClusterEgressTable,
  namespaceLabels: Labels,
  podLabels: Labels,
  isUsablePool: (name: string) => boolean | Promise<boolean>,
): Promise<PodPoolRequest | undefined> {
  for (const policy of table.policies) {
    if (policy.podSelector === null) continue;
    if (policy.destinationCIDRs.length > 0 || policy.excludedCIDRs.length > 0) continue;
    if (
      policy.namespaceSelector !== null &&
      !compileLabelSelector(policy.namespaceSelector).matches(namespaceLabels)
    ) {
      continue;
    }
    if (!compileLabelSelector(policy.podSelector).matches(podLabels)) continue;
    const v4: string[] = [];
    const v6: string[] = [];
    for (const ip of policy.egressIPs) {
      const name = poolName(policy.name, ip);
      // A pod that requests a pool that does not exist cannot start: hand out only pools in place.
      if (await isUsablePool(name)) (ip.includes(':') ? v6 : v4).push(name);
    }
    if (v4.length === 0 && v6.length === 0) return undefined;
    const annotations: Record<string, string> = {};
    if (v4.length > 0) annotations[IPV4_POOLS_ANNOTATION] = JSON.stringify(v4);
    if (v6.length > 0) annotations[IPV6_POOLS_ANNOTATION] = JSON.stringify(v6);
    return { egressName: policy.name, annotations };
  }
  return undefined;
}
