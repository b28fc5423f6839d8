// The IPPool object for one egress address: a single-address pool no pod gets unless it asks for it.
import { ipFamily } from '@egress-proxier/core';
import { apiVersionOf, type CalicoApi } from '../calico/calico-api.js';
import type { Encapsulation, IPPool } from '../calico/ippool.js';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  OWNER_LABEL,
  OWNER_NAME_ANNOTATION,
  ownerLabelValue,
} from '../calico/ownership.js';
import { hostPrefixLength, poolCidr, poolName } from './pool-naming.js';

export interface DesiredPool {
  egressName: string;
  egressIP: string;
  family: 4 | 6;
  object: IPPool;
}

export function desiredPool(
  egressName: string,
  egressIP: string,
  calico: CalicoApi,
  encapsulation: Encapsulation,
): DesiredPool {
  const family = ipFamily(egressIP);
  const spec: IPPool['spec'] = {
    cidr: poolCidr(egressIP),
    // One block of one address: the whole pool is this egress IP, held by one pod at a time.
    blockSize: hostPrefixLength(family),
    // The point of the exercise: the pod's own address leaves the cluster unchanged.
    natOutgoing: false,
    disabled: false,
    ipipMode: encapsulation.ipipMode,
    vxlanMode: encapsulation.vxlanMode,
  };
  if (calico.allowedUses) spec.allowedUses = ['Workload'];
  if (calico.fencing === 'assignmentMode') spec.assignmentMode = 'Manual';
  else spec.nodeSelector = '!all()';
  return {
    egressName,
    egressIP,
    family,
    object: {
      apiVersion: apiVersionOf(calico.api),
      kind: 'IPPool',
      metadata: {
        name: poolName(egressName, egressIP),
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [OWNER_LABEL]: ownerLabelValue(egressName) },
        annotations: { [OWNER_NAME_ANNOTATION]: egressName },
      },
      spec,
    },
  };
}

/** Spec fields we set and may change in place (cidr and blockSize are immutable and fixed by the name). */
export const MUTABLE_SPEC_FIELDS = [
  'natOutgoing',
  'disabled',
  'ipipMode',
  'vxlanMode',
  'allowedUses',
  'assignmentMode',
  'nodeSelector',
] as const;

/** True when `actual` already has every field of `desired` that we manage. */
export function poolSpecMatches(actual: IPPool, desired: IPPool): boolean {
  return MUTABLE_SPEC_FIELDS.every(
    (field) =>
      desired.spec[field] === undefined ||
      JSON.stringify(actual.spec[field]) === JSON.stringify(desired.spec[field]),
  );
}
