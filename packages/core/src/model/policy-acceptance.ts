// The checks that need cluster context or the backend, applied after schema validation. A failing policy
// is skipped on its own (Accepted=False with a reason); no other policy is disturbed.
import type { EgressPolicy } from '../api/egress-policy.js';
import type { ProxierCapability } from '../plugin/capabilities.js';
import { missingCapabilities } from '../plugin/capability-check.js';
import { reservedRangeOf } from '../net/ip.js';
import type { CidrSet } from '../net/cidr-set.js';
import { compareStrings } from '../selectors/label-selector.js';

export type RejectionReason =
  | 'InvalidSpec'
  | 'EgressIPReserved'
  | 'EgressIPInClusterRange'
  | 'EgressIPIsNodeIP'
  | 'EgressIPConflict'
  | 'UnsupportedByBackend';

export interface Rejection {
  reason: RejectionReason;
  message: string;
}

export interface ClusterContext {
  clusterRanges: CidrSet;
  nodeIPs: ReadonlyMap<string, string>;
  /** Undefined: no backend in play (e.g. rendering without one), so nothing is refused for capabilities. */
  capabilities: readonly ProxierCapability[] | undefined;
}

/** Checks one policy against the cluster and the backend; null when it may be programmed. */
export function contextRejection(policy: EgressPolicy, context: ClusterContext): Rejection | null {
  for (const ip of policy.egressIPs) {
    const reserved = reservedRangeOf(ip);
    if (reserved) {
      // The range names are "unspecified", "loopback", "link-local", …: only a vowel takes "an".
      const article = /^[aeiou]/.test(reserved) ? 'an' : 'a';
      return { reason: 'EgressIPReserved', message: `egress IP ${ip} is ${article} ${reserved} address` };
    }
    const range = context.clusterRanges.containing(ip);
    if (range)
      return {
        reason: 'EgressIPInClusterRange',
        message: `egress IP ${ip} is inside cluster range ${range.text}`,
      };
    const node = context.nodeIPs.get(ip);
    if (node)
      return { reason: 'EgressIPIsNodeIP', message: `egress IP ${ip} is the address of node ${node}` };
  }
  if (context.capabilities) {
    const missing = missingCapabilities(policy, { capabilities: context.capabilities });
    if (missing.length > 0) {
      return { reason: 'UnsupportedByBackend', message: `the backend cannot honour: ${missing.join(', ')}` };
    }
  }
  return null;
}

/** Older policies (then smaller names) come first: they keep contested egress IPs and win exact ties. */
export function compareByAge(a: EgressPolicy, b: EgressPolicy): number {
  return compareStrings(a.creationTimestamp, b.creationTimestamp) || compareStrings(a.name, b.name);
}

/**
 * One egress IP lives on one gateway, chosen with one gateway selector. Policies may share an IP only when
 * they agree on that selector; otherwise the oldest claimant keeps it and the others are rejected.
 */
export function egressIPConflicts(policies: readonly EgressPolicy[]): Map<string, Rejection> {
  const claimants = new Map<string, EgressPolicy[]>();
  for (const policy of policies) {
    for (const ip of policy.egressIPs) {
      const list = claimants.get(ip);
      if (list) list.push(policy);
      else claimants.set(ip, [policy]);
    }
  }
  const rejected = new Map<string, Rejection>();
  for (const [ip, list] of claimants) {
    if (list.length < 2) continue;
    const [owner, ...others] = [...list].sort(compareByAge) as [EgressPolicy, ...EgressPolicy[]];
    for (const other of others) {
      if (other.gatewayNodeSelector.text !== owner.gatewayNodeSelector.text && !rejected.has(other.name)) {
        rejected.set(other.name, {
          reason: 'EgressIPConflict',
          message: `egress IP ${ip} is already used by Egress ${owner.name} with a different gatewayNodeSelector`,
        });
      }
    }
  }
  return rejected;
}
