// Which Calico API this cluster serves, and which IPPool fields its schema knows. Calico documents
// projectcalico.org/v3 as its API (served by the aggregated calico-apiserver, or since v3.32 by native
// CRDs); crd.projectcalico.org/v1 is its internal storage and is used only when nothing else is served.

export type CalicoApiGroup =
  | { group: 'projectcalico.org'; version: 'v3'; servedBy: 'crd' | 'aggregated-apiserver' }
  | { group: 'crd.projectcalico.org'; version: 'v1'; servedBy: 'crd' };

/** How a pool is kept out of automatic assignment. */
export type PoolFencing =
  /** `assignmentMode: Manual`: only pods or namespaces that request the pool by annotation get its IPs. */
  | 'assignmentMode'
  /** `nodeSelector: "!all()"`, for schemas that predate assignmentMode. */
  | 'nodeSelector';

export interface CalicoApi {
  api: CalicoApiGroup;
  fencing: PoolFencing;
  /** True when the schema accepts `allowedUses` (it always has since Calico 3.21). */
  allowedUses: boolean;
}

export function apiVersionOf(api: CalicoApiGroup): string {
  return `${api.group}/${api.version}`;
}

export const IPPOOL_PLURAL = 'ippools';

/** `ippools.<group>`: the CRD name for a group. */
export function ipPoolCrdName(group: CalicoApiGroup['group']): string {
  return `${IPPOOL_PLURAL}.${group}`;
}
