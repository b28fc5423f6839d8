// The four maps' desired content, from the node's table in longest-prefix form: one policy entry per
// (source, destination prefix) of the compiled table, one cluster entry per cluster destination. The compiled
// table already decided precedence, exclusions and cluster carve-outs; this only encodes it.
import type { GatewayHop, IPFamily, LongestPrefixTable, LongestPrefixVerdict } from '@egress-proxier/core';
import {
  CLUSTER_VALUE,
  clusterMapOf,
  encodeClusterKey,
  encodePolicyKey,
  encodePolicyValue,
  hex,
  policyMapOf,
  type EgressMapId,
  type PolicyValue,
} from './map-layout.js';

/** hex key → hex value, per map. */
export type MapContent = Map<string, string>;
export type EgressMapsContent = Record<EgressMapId, MapContent>;

/**
 * Where a steered packet goes: the backend knows the device towards the gateway node (uplink or VXLAN device)
 * and the next hop on it; the next hop is of `family`.
 */
export type SteerHopOf = (gateway: GatewayHop, family: IPFamily) => { ifindex: number; nexthop: string };

/** What only the node knows: how to reach each gateway, and the uplink a `LOCAL` packet leaves by. */
export interface NodeHops {
  steer: SteerHopOf;
  /** The uplink's ifindex: SNATed packets are redirected out of it. */
  uplinkIfindex: number;
}

export function emptyMapsContent(): EgressMapsContent {
  return { policy4: new Map(), policy6: new Map(), cluster4: new Map(), cluster6: new Map() };
}

export function policyValueOf(verdict: LongestPrefixVerdict, family: IPFamily, hops: NodeHops): PolicyValue {
  if (verdict.kind === 'noRule') return { action: 'pass' };
  const action = verdict.action;
  switch (action.kind) {
    case 'snat':
      return { action: 'local', egressIP: action.egressIP, ifindex: hops.uplinkIfindex };
    case 'steer':
      return { action: 'steer', ...hops.steer(action.gateway, family) };
    case 'drop':
      return { action: 'drop' };
    case 'bypass':
      return { action: 'pass' };
  }
}

export function desiredMaps(table: LongestPrefixTable, hops: NodeHops): EgressMapsContent {
  const maps = emptyMapsContent();
  for (const destination of table.clusterDestinations) {
    const family: IPFamily = destination.includes(':') ? 6 : 4;
    maps[clusterMapOf(family)].set(hex(encodeClusterKey(family, destination)), hex(CLUSTER_VALUE));
  }
  for (const entry of table.entries) {
    const key = hex(encodePolicyKey(entry.family, entry.source, entry.destination));
    const value = hex(encodePolicyValue(policyValueOf(entry.verdict, entry.family, hops)));
    const map = maps[policyMapOf(entry.family)];
    // The compiled table has one entry per key; two would make the kernel keep whichever came last.
    if (map.has(key)) throw new Error(`two entries for ${entry.source} → ${entry.destination}`);
    map.set(key, value);
  }
  return maps;
}
