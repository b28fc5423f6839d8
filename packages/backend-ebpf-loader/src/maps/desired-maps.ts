// The four maps' desired content, from the node's table in longest-prefix form: one policy entry per
// (source, destination prefix) of the compiled table, one cluster entry per cluster destination. The compiled
// table already decided precedence, exclusions and cluster carve-outs; this only encodes it.
import type { GatewayHop, IPFamily, LongestPrefixTable, LongestPrefixVerdict } from '@egress-proxier/core';
import {
  CLUSTER_VALUE,
  clusterMapOf,
  encodeClusterKey,
  encodePolicyValue,
  hex,
  policyKeyHexEncoder,
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
  const encodeKey = policyKeyHexEncoder();
  // Entries share few distinct values (one per rule and family): encode each once.
  const values = new Map<string, string>();
  const valueOf = (verdict: LongestPrefixVerdict, family: IPFamily): string => {
    const cacheKey = `${family}|${verdictKey(verdict)}`;
    let value = values.get(cacheKey);
    if (value === undefined) {
      value = hex(encodePolicyValue(policyValueOf(verdict, family, hops)));
      values.set(cacheKey, value);
    }
    return value;
  };
  for (const destination of table.clusterDestinations) {
    const family: IPFamily = destination.includes(':') ? 6 : 4;
    maps[clusterMapOf(family)].set(hex(encodeClusterKey(family, destination)), hex(CLUSTER_VALUE));
  }
  for (const entry of table.entries) {
    const key = encodeKey(entry.family, entry.source, entry.destination);
    const value = valueOf(entry.verdict, entry.family);
    const map = maps[policyMapOf(entry.family)];
    // The compiled table has one entry per key; two would make the kernel keep whichever came last.
    if (map.has(key)) throw new Error(`two entries for ${entry.source} → ${entry.destination}`);
    map.set(key, value);
  }
  return maps;
}

/** What a verdict's value depends on (with the family): its action and, for steer and snat, where to. */
function verdictKey(verdict: LongestPrefixVerdict): string {
  if (verdict.kind === 'noRule') return 'noRule';
  const action = verdict.action;
  switch (action.kind) {
    case 'snat':
      return `snat|${action.egressIP}`;
    case 'steer':
      return `steer|${action.gateway.node}|${action.gateway.nodeIP}`;
    case 'drop':
    case 'bypass':
      return action.kind;
  }
}
