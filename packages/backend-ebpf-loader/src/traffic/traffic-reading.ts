// A TrafficReading (core's contract) from what the backend read: the counters, for every hosted egress IP (zeros
// for one that has translated nothing yet), and the port use of the hosted egress IPs.
import type { SnatPortUse, TrafficReading } from '@egress-proxier/core';
import { canonicalAddress } from '../nat/nat-layout.js';
import { NAT_PORT_CAPACITY } from '../nat/nat-port-use.js';
import type { TrafficCounters } from './traffic-layout.js';

export function trafficReading(
  hostedEgressIPs: Iterable<string>,
  counters: ReadonlyMap<string, TrafficCounters>,
  portUse: readonly SnatPortUse[],
): TrafficReading {
  // Canonical text → the text the table gave (what the agent labels its metrics with).
  const hosted = new Map([...hostedEgressIPs].map((ip) => [canonicalAddress(ip), ip]));
  return {
    traffic: [...hosted].map(([canonical, egressIP]) => ({
      egressIP,
      connections: counters.get(canonical)?.connections ?? 0,
      bytes: counters.get(canonical)?.bytes ?? 0,
    })),
    portUse: portUse.flatMap((use) => {
      const egressIP = hosted.get(use.egressIP);
      return egressIP === undefined ? [] : [{ ...use, egressIP }];
    }),
    portCapacity: NAT_PORT_CAPACITY,
  };
}
