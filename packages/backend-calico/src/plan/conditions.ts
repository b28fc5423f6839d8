// Conditions this backend reports per Egress: everything Calico cannot do, or has not done yet. The status
// writer in core owns `status.conditions`; it should replace exactly the CALICO_CONDITION_TYPES each sync
// (a type absent from a policy's list means that problem is gone).
import type { EgressCondition } from '@egress-proxier/core';

export const CALICO_CONDITION_TYPES = [
  /** More selected pods than egress addresses: Calico gives each pod its own address, it cannot share one. */
  'SharedAddressUnsupported',
  /** destinationCIDRs/excludedCIDRs: a pod has one source address for every destination. */
  'DestinationScopedUnsupported',
  /** Running pods still hold an address from another pool; only a recreated pod gets a pool address. */
  'PodsPendingRecreate',
  /** Every pool address is held: the next selected pod cannot get one and will not start. */
  'PoolExhausted',
  /** An egress address lies inside a pool we do not own (or another policy's): that pool is not written. */
  'PoolOverlap',
  /** Two policies request pools for the same namespace; only the first (by name) is written there. */
  'PoolSelectionConflict',
  /** A namespace already carries a pool annotation someone else set; we leave it as it is. */
  'NamespaceAnnotatedByOthers',
  /** A FailClosed Egress whose deny policy is not in place (its CRD is not served, or a write failed). */
  'FailClosedNotEnforced',
  /** Calico's API is not served, or a write to it failed. */
  'CalicoAPIUnavailable',
  /** Only the internal crd.projectcalico.org/v1 group is served; it works but Calico does not support writing it. */
  'CalicoInternalAPIInUse',
] as const;

export type CalicoConditionType = (typeof CALICO_CONDITION_TYPES)[number];

export interface CalicoCondition extends EgressCondition {
  type: CalicoConditionType;
  status: 'True';
}

/** Per Egress name: the Calico problems that hold now, sorted by type. Policies without problems map to []. */
export type CalicoPolicyConditions = Map<string, CalicoCondition[]>;

export function condition(
  type: CalicoConditionType,
  reason: string,
  message: string,
  observedGeneration: number,
): CalicoCondition {
  return { type, status: 'True', reason, message, observedGeneration };
}

/** One condition per type (messages of the same type joined), in CALICO_CONDITION_TYPES order. */
export function normalizeConditions(conditions: readonly CalicoCondition[]): CalicoCondition[] {
  const byType = new Map<CalicoConditionType, CalicoCondition>();
  for (const c of conditions) {
    const earlier = byType.get(c.type);
    byType.set(
      c.type,
      earlier === undefined ? { ...c } : { ...earlier, message: `${earlier.message}; ${c.message}` },
    );
  }
  const order = (c: CalicoCondition): number => CALICO_CONDITION_TYPES.indexOf(c.type);
  return [...byType.values()].sort((a, b) => order(a) - order(b));
}
