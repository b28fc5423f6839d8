// Steering here is on-link only: bpf_redirect_neigh resolves the gateway node's address as a neighbour on the
// uplink. A gateway whose address is in none of the uplink's subnets (an L3 underlay) would be a black hole
// for what is steered to it, without an error anywhere: the proxier names it instead.
import { cidrContainsIP, networkAddress, parseCidr, type NodeEgressTable } from '@egress-proxier/core';
import type { KernelAddress } from '@egress-proxier/node-datapath';

export interface GatewayAddress {
  node: string;
  nodeIP: string;
}

/** The table's steering next hops that no subnet of the uplink (its addresses with their prefixes) contains. */
export function offLinkGateways(
  table: NodeEgressTable,
  uplinkAddresses: readonly KernelAddress[],
): GatewayAddress[] {
  const subnets = uplinkAddresses.flatMap((address) => {
    const parsed = parseCidr(
      `${networkAddress(address.local, address.prefixLength)}/${address.prefixLength}`,
    );
    return 'cidr' in parsed ? [parsed.cidr] : [];
  });
  const seen = new Map<string, GatewayAddress>();
  for (const rule of table.rules) {
    if (rule.action.kind !== 'steer') continue;
    const { node, nodeIP } = rule.action.gateway;
    if (!subnets.some((subnet) => cidrContainsIP(subnet, nodeIP)))
      seen.set(`${node}|${nodeIP}`, { node, nodeIP });
  }
  return [...seen.values()];
}
