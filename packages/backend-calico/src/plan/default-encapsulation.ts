// Our pools copy the encapsulation of the cluster's default pool of the same family, so egress pods are
// reached across nodes the same way as every other pod (IPIP/VXLAN/none must match the cluster's routing).
import { parseCidr, type IPFamily } from '@egress-proxier/core';
import {
  NO_ENCAPSULATION,
  type Encapsulation,
  type EncapsulationMode,
  type IPPool,
} from '../calico/ippool.js';
import { isManagedPool } from './pool-ownership.js';

/** Names the operator and the manifests give the default pools; preferred when present. */
const DEFAULT_POOL_NAMES: Record<IPFamily, string> = { 4: 'default-ipv4-ippool', 6: 'default-ipv6-ippool' };

export function defaultPoolOf(pools: readonly IPPool[], family: IPFamily): IPPool | undefined {
  const candidates = pools
    .filter((pool) => !isManagedPool(pool) && pool.spec.disabled !== true && familyOf(pool) === family)
    .filter((pool) => pool.spec.assignmentMode !== 'Manual' && pool.spec.nodeSelector !== '!all()')
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return candidates.find((pool) => pool.metadata.name === DEFAULT_POOL_NAMES[family]) ?? candidates[0];
}

export function encapsulationFor(pools: readonly IPPool[], family: IPFamily): Encapsulation {
  const pool = defaultPoolOf(pools, family);
  if (pool === undefined) return NO_ENCAPSULATION;
  // IPIP carries only IPv4; Calico rejects it on IPv6 pools.
  const ipipMode = family === 6 ? 'Never' : mode(pool.spec.ipipMode);
  return { ipipMode, vxlanMode: mode(pool.spec.vxlanMode) };
}

function mode(value: unknown): EncapsulationMode {
  return value === 'Always' || value === 'CrossSubnet' ? value : 'Never';
}

export function familyOf(pool: IPPool): IPFamily | undefined {
  const parsed = parseCidr(pool.spec.cidr);
  return 'cidr' in parsed ? parsed.cidr.family : undefined;
}
