// The IPPool object as both Calico API groups serve it (projectcalico.org/v3 and crd.projectcalico.org/v1
// share the spec fields used here).

import type { ObjectMetadata } from './object-metadata.js';

export type EncapsulationMode = 'Never' | 'Always' | 'CrossSubnet';

export interface IPPoolSpec {
  cidr: string;
  blockSize?: number;
  natOutgoing?: boolean;
  disabled?: boolean;
  ipipMode?: string;
  vxlanMode?: string;
  nodeSelector?: string;
  assignmentMode?: string;
  allowedUses?: string[];
  [field: string]: unknown;
}

export interface IPPool {
  apiVersion: string;
  kind: 'IPPool';
  metadata: ObjectMetadata;
  spec: IPPoolSpec;
}

/** Encapsulation our pools copy from the cluster's default pool of the same family. */
export interface Encapsulation {
  ipipMode: EncapsulationMode;
  vxlanMode: EncapsulationMode;
}

export const NO_ENCAPSULATION: Encapsulation = { ipipMode: 'Never', vxlanMode: 'Never' };

export function isIPPool(value: unknown): value is IPPool {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<IPPool>;
  return (
    typeof candidate.metadata?.name === 'string' &&
    typeof candidate.spec === 'object' &&
    candidate.spec !== null &&
    typeof candidate.spec.cidr === 'string'
  );
}
