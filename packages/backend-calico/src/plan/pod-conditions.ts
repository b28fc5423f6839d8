// What the selected pods' addresses say about a policy's pools: pods that still need recreating, more pods
// than addresses, and pools with no free address. Pure; counts go into the messages.
import { canonicalIP, type ClusterPolicyEntry } from '@egress-proxier/core';
import { condition, type CalicoCondition } from './conditions.js';
import type { DesiredPool } from './desired-pool.js';

export function podConditions(policy: ClusterPolicyEntry, pools: readonly DesiredPool[]): CalicoCondition[] {
  const poolAddresses = new Set(pools.map((pool) => pool.egressIP));
  const total = policy.pods.length;
  const inPool = policy.pods.filter((pod) =>
    pod.podIPs.some((ip) => poolAddresses.has(canonicalIP(ip) ?? ip)),
  ).length;
  const conditions: CalicoCondition[] = [];
  if (total > policy.egressIPs.length) {
    conditions.push(
      condition(
        'SharedAddressUnsupported',
        'MorePodsThanAddresses',
        `${total} selected pods but ${policy.egressIPs.length} egress addresses: Calico gives each pod an address of ` +
          `its own, so at most ${policy.egressIPs.length} of them can leave with an egress address`,
        policy.generation,
      ),
    );
  }
  if (inPool < total) {
    conditions.push(
      condition(
        'PodsPendingRecreate',
        'AddressesOutsidePool',
        `${total - inPool} of ${total} selected pods have addresses outside the pool; recreate them`,
        policy.generation,
      ),
    );
  }
  if (pools.length > 0 && inPool >= pools.length) {
    conditions.push(
      condition(
        'PoolExhausted',
        'NoFreeAddress',
        `${inPool} of ${pools.length} pool addresses are in use; the next selected pod gets no address and ` +
          `will not start until one is freed`,
        policy.generation,
      ),
    );
  }
  return conditions;
}
