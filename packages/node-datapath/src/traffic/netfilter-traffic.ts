// A traffic reading of a netfilter datapath (iptables, nftables, IPVS's gateway): the backend's own counters
// for the egress IPs it hosts, and SNAT port use from conntrack, read together. Every hosted IP gets an entry,
// zeros when nothing was counted yet.
import type { EgressIPTraffic, IPFamily, TrafficReading } from '@egress-proxier/core';
import type { CommandRunner } from '../exec/command-runner.js';
import { NETFILTER_SNAT_PORT_CAPACITY, readSnatPortUse } from './snat-port-census.js';

export async function readNetfilterTraffic(
  runner: CommandRunner,
  hosted: readonly { ip: string; family: IPFamily }[],
  readCounters: (families: readonly IPFamily[]) => Promise<ReadonlyMap<string, EgressIPTraffic>>,
): Promise<TrafficReading> {
  const portCapacity = NETFILTER_SNAT_PORT_CAPACITY;
  if (hosted.length === 0) return { traffic: [], portUse: [], portCapacity };
  const families = [...new Set(hosted.map((address) => address.family))].sort();
  const [counters, portUse] = await Promise.all([readCounters(families), readSnatPortUse(runner, hosted)]);
  return {
    traffic: hosted.map(({ ip }) => counters.get(ip) ?? { egressIP: ip, connections: 0, bytes: 0 }),
    portUse,
    portCapacity,
  };
}
