// Which pools each accepted Egress gets, and which of its addresses cannot get one (overlap). Pure.
import {
  canonicalIP,
  parseCidr,
  cidrsOverlap,
  type ClusterPolicyEntry,
  type Cidr,
} from '@egress-proxier/core';
import type { CalicoApi } from '../calico/calico-api.js';
import type { IPPool } from '../calico/ippool.js';
import { condition, type CalicoCondition } from './conditions.js';
import { encapsulationFor } from './default-encapsulation.js';
import { desiredPool, type DesiredPool } from './desired-pool.js';
import { isManagedPool, isOwnedBy } from './pool-ownership.js';

export interface PolicyPools {
  /** Pools this policy gets, in egressIPs order. */
  pools: DesiredPool[];
  conditions: CalicoCondition[];
}

/**
 * Pools for every policy, in table order, so that when two policies claim one address the first by name
 * keeps it. A pool is blocked when its address lies in any pool that is not this very pool of this policy
 * (someone else's, or ours for another policy) — except our own pools that this sync removes anyway.
 */
export function planPools(
  policies: readonly ClusterPolicyEntry[],
  calico: CalicoApi,
  existingPools: readonly IPPool[],
): Map<string, PolicyPools> {
  const encapsulation = {
    4: encapsulationFor(existingPools, 4),
    6: encapsulationFor(existingPools, 6),
  } as const;
  const candidates = policies.map((policy) => ({
    policy,
    pools: policy.egressIPs.map((ip) => {
      const address = canonicalIP(ip) ?? ip;
      return desiredPool(policy.name, address, calico, encapsulation[address.includes(':') ? 6 : 4]);
    }),
  }));
  const desiredNames = new Set(candidates.flatMap((c) => c.pools.map((p) => p.object.metadata.name)));
  // Our pools that no policy wants any more are deleted by this sync; they block nothing.
  const blockers = existingPools.filter(
    (pool) => !isManagedPool(pool) || desiredNames.has(pool.metadata.name),
  );
  const claimed: { cidr: Cidr; owner: string }[] = [];
  const result = new Map<string, PolicyPools>();
  for (const { policy, pools } of candidates) {
    const conditions: CalicoCondition[] = [];
    if (policy.destinationCIDRs.length > 0 || policy.excludedCIDRs.length > 0) {
      conditions.push(
        condition(
          'DestinationScopedUnsupported',
          'SourcePerDestinationUnsupported',
          `Calico gives a pod one source address for every destination; ${policy.destinationCIDRs.length} destinationCIDRs ` +
            `and ${policy.excludedCIDRs.length} excludedCIDRs cannot be honoured, so no pool is written for this policy`,
          policy.generation,
        ),
      );
      result.set(policy.name, { pools: [], conditions });
      continue;
    }
    const usable: DesiredPool[] = [];
    const overlaps: string[] = [];
    for (const pool of pools) {
      const cidr = cidrOf(pool.object);
      if (cidr === undefined) continue;
      const collision = findCollision(pool, cidr, blockers, claimed);
      if (collision !== undefined) {
        overlaps.push(`${pool.egressIP} overlaps ${collision}`);
        continue;
      }
      claimed.push({ cidr, owner: policy.name });
      usable.push(pool);
    }
    if (overlaps.length > 0) {
      conditions.push(
        condition(
          'PoolOverlap',
          'AddressInOtherPool',
          `${overlaps.length} of ${pools.length} egress addresses cannot get a pool: ${overlaps.join('; ')}`,
          policy.generation,
        ),
      );
    }
    result.set(policy.name, { pools: usable, conditions });
  }
  return result;
}

function findCollision(
  pool: DesiredPool,
  cidr: Cidr,
  blockers: readonly IPPool[],
  claimed: readonly { cidr: Cidr; owner: string }[],
): string | undefined {
  const name = pool.object.metadata.name;
  for (const existing of blockers) {
    const isThisPool = existing.metadata.name === name;
    if (isThisPool && isOwnedBy(existing, pool.egressName) && existing.spec.cidr === pool.object.spec.cidr)
      continue;
    const existingCidr = cidrOf(existing);
    if (isThisPool)
      return `pool ${existing.metadata.name} (${existing.spec.cidr}), which has this name but is not ours`;
    if (existingCidr !== undefined && cidrsOverlap(existingCidr, cidr)) {
      const owner = isManagedPool(existing) ? `, owned by another Egress` : '';
      return `pool ${existing.metadata.name} (${existing.spec.cidr}${owner})`;
    }
  }
  const earlier = claimed.find((c) => cidrsOverlap(c.cidr, cidr));
  return earlier === undefined ? undefined : `Egress ${earlier.owner}, which claims the same address`;
}

export function cidrOf(pool: IPPool): Cidr | undefined {
  const parsed = parseCidr(pool.spec.cidr);
  return 'cidr' in parsed ? parsed.cidr : undefined;
}
