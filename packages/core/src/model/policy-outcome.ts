// Per-policy results for status and for `render`: accepted or why not, what it selects, where its IPs
// live, and which of its pods another policy shadows (a real tie: same pod, same destination prefix).
import type { EgressPolicy } from '../api/egress-policy.js';
import type { EgressModel } from './egress-model.js';
import type { RejectionReason } from './policy-acceptance.js';
import { comparePolicyPrecedence } from '../table/rule-precedence.js';
import { compareStrings } from '../selectors/label-selector.js';

export interface PolicyOutcome {
  name: string;
  generation: number;
  accepted: { status: true } | { status: false; reason: RejectionReason; message: string };
  selectedPods: number;
  /** One per egress IP, in spec order; node null when no live gateway is eligible. */
  assignments: { egressIP: string; node: string | null }[];
  /** Higher-precedence policies that win an exact tie for some of this policy's pods. */
  shadowedBy: { policy: string; pods: number; destinations: string[] }[];
}

export function computePolicyOutcomes(model: EgressModel): PolicyOutcome[] {
  const shadows = computeShadows(model);
  return model.policyNames().map((name): PolicyOutcome => {
    const generation = model.generationOf(name) ?? 1;
    const policy = model.acceptedPolicy(name);
    if (!policy) {
      const rejection = model.rejectionOf(name);
      return {
        name,
        generation,
        accepted: {
          status: false,
          reason: rejection?.reason ?? 'InvalidSpec',
          message: rejection?.message ?? '',
        },
        selectedPods: 0,
        assignments: [],
        shadowedBy: [],
      };
    }
    return {
      name,
      generation,
      accepted: { status: true },
      selectedPods: model.tracker.podsSelectedBy(name).size,
      assignments: policy.egressIPs.map((egressIP) => ({ egressIP, node: model.gatewayOf(egressIP) })),
      shadowedBy: [...(shadows.get(name)?.entries() ?? [])]
        .sort(([a], [b]) => compareStrings(a, b))
        .map(([winner, found]) => ({
          policy: winner,
          pods: found.pods,
          destinations: [...found.destinations].sort(compareStrings),
        })),
    };
  });
}

/** loser → winner → pods and destinations where the winner takes the exact tie. */
function computeShadows(
  model: EgressModel,
): Map<string, Map<string, { pods: number; destinations: Set<string> }>> {
  const result = new Map<string, Map<string, { pods: number; destinations: Set<string> }>>();
  // Destinations two policies share, per (loser, winner) pair: the same for every pod of the pair.
  const sharedByPair = new Map<string, string[]>();
  const policies = new Map(model.acceptedPolicies().map((p) => [p.name, p]));
  for (const policy of policies.values()) {
    for (const key of model.tracker.podsSelectedBy(policy.name)) {
      const selecting = model.tracker.policiesSelecting(key);
      if (selecting.length < 2) continue;
      for (const otherName of selecting) {
        const other = policies.get(otherName);
        if (!other || other === policy || comparePolicyPrecedence(other, policy) >= 0) continue;
        const pair = `${policy.name}\u0000${other.name}`;
        let shared = sharedByPair.get(pair);
        if (!shared) sharedByPair.set(pair, (shared = sharedDestinations(policy, other)));
        if (shared.length === 0) continue;
        const byWinner = result.get(policy.name) ?? new Map();
        result.set(policy.name, byWinner);
        const entry = byWinner.get(other.name) ?? { pods: 0, destinations: new Set<string>() };
        byWinner.set(other.name, entry);
        entry.pods++;
        for (const destination of shared) entry.destinations.add(destination);
      }
    }
  }
  return result;
}

function sharedDestinations(a: EgressPolicy, b: EgressPolicy): string[] {
  const other = new Set(b.destinationCIDRs.map((c) => c.text));
  return a.destinationCIDRs.map((c) => c.text).filter((text) => other.has(text));
}
