// Whether a pool is ours, and whose. Anything without our managed-by label is someone else's and is never
// written, updated or deleted.
import type { IPPool } from '../calico/ippool.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, OWNER_LABEL, ownerLabelValue } from '../calico/ownership.js';

export function isManagedPool(pool: IPPool): boolean {
  return pool.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

export function isOwnedBy(pool: IPPool, egressName: string): boolean {
  return isManagedPool(pool) && pool.metadata.labels?.[OWNER_LABEL] === ownerLabelValue(egressName);
}
