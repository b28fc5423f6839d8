// What only this node knows when the maps are built: how a steered packet reaches its gateway (on-link: out of
// the uplink to the gateway node's address, resolved by bpf_redirect_neigh) and which uplink SNATed packets
// leave by; and which of the table's sources may be local pods (the devices they route to decide).
import type { IPFamily, NodeEgressTable } from '@egress-proxier/core';
import type { PodAddress } from '@egress-proxier/node-datapath';
import type { NodeHops } from '../maps/desired-maps.js';

export function nodeHops(uplinkIfindex: number): NodeHops {
  return {
    steer: (gateway, family: IPFamily) => {
      if (!gateway.nodeIP.includes(':') !== (family === 4))
        throw new Error(`gateway ${gateway.node}: node IP ${gateway.nodeIP} is not IPv${family}`);
      return { ifindex: uplinkIfindex, nexthop: gateway.nodeIP };
    },
    uplinkIfindex,
  };
}

/**
 * Every source address of the table, once. On a gateway this includes other nodes' pods (steered here); they
 * route through a gateway, not a direct route, so podFacingDevices leaves them out.
 */
export function localSources(table: NodeEgressTable): PodAddress[] {
  const seen = new Set<string>();
  const sources: PodAddress[] = [];
  for (const set of table.sourceSets)
    for (const ip of set.addresses)
      if (!seen.has(ip)) {
        seen.add(ip);
        sources.push({ ip, family: set.family });
      }
  return sources;
}
