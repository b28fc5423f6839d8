// Gateway liveness from one list of heartbeat Leases, for a one-shot reader (`egress-proxier trace`). The
// agents judge freshness by watching leases change on their own monotonic clock (lease-liveness.ts); a
// single read cannot watch, so this compares `renewTime + leaseDurationSeconds` with the local clock. Clock
// skew between this machine and the nodes shifts the answer by the skew: good enough to explain, never used
// to decide a datapath.
import type { Liveness } from '../gateway/gateway-assigner.js';
import { nodeOfLease } from '../kube/lease-api.js';
import type { SlimLease } from '../kube/slim-convert.js';

export function leaseSnapshotLiveness(leases: Iterable<SlimLease>, nowMs: number): Liveness {
  const live = new Set<string>();
  for (const lease of leases) {
    const node = nodeOfLease(lease.name);
    const renewedAt = Date.parse(lease.renewTime);
    if (node === undefined || lease.holderIdentity === '' || Number.isNaN(renewedAt)) continue;
    if (renewedAt + lease.leaseDurationSeconds * 1000 > nowMs) live.add(node);
  }
  return { isLive: (node) => live.has(node) };
}
