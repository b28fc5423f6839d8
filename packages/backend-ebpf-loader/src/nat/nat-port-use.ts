// SNAT port use from the NAT state: every reverse entry holds one translated port of (egress IP, remote, remote
// port, protocol), and a new flow to that endpoint needs a free one, so the count per endpoint is what runs out.
// Counted from the entries a sweep keeps (nat-expiry.ts: idle and stale ones are not in use), so it costs no dump
// of its own. ICMP echo identifiers are left out: the contract counts TCP and UDP ports.
import type { SnatPortUse } from '@egress-proxier/core';
import { NAT_PORT_MAX, NAT_PORT_MIN, type NatReverseEntry } from './nat-layout.js';

/**
 * Ports a claim can use per egress IP and endpoint when the pod's own is taken: EGP_NAT_PORT_MIN..MAX. (A
 * pod's own port outside that range also works when free, but pods' ephemeral ports fall inside it by default.)
 */
export const NAT_PORT_CAPACITY = NAT_PORT_MAX - NAT_PORT_MIN + 1;

/** How many of each egress IP's busiest endpoints a reading keeps. */
export const BUSIEST_ENDPOINTS = 5;

/** The `perEgressIP` busiest TCP and UDP endpoints of each egress IP, by egress IP, then ports descending. */
export function busiestEndpoints(
  entries: Iterable<NatReverseEntry>,
  perEgressIP: number = BUSIEST_ENDPOINTS,
): SnatPortUse[] {
  const byEndpoint = new Map<string, SnatPortUse>();
  for (const { key } of entries) {
    if (key.protocol !== 'tcp' && key.protocol !== 'udp') continue;
    const id = `${key.egress}|${key.protocol}|${key.remote}|${key.remotePort}`;
    const known = byEndpoint.get(id);
    if (known !== undefined) known.ports += 1;
    else
      byEndpoint.set(id, {
        egressIP: key.egress,
        protocol: key.protocol,
        remoteAddress: key.remote,
        remotePort: key.remotePort,
        ports: 1,
      });
  }
  const byEgressIP = new Map<string, SnatPortUse[]>();
  for (const use of byEndpoint.values()) {
    const list = byEgressIP.get(use.egressIP);
    if (list === undefined) byEgressIP.set(use.egressIP, [use]);
    else list.push(use);
  }
  return [...byEgressIP.keys()]
    .sort()
    .flatMap((egressIP) => (byEgressIP.get(egressIP) ?? []).sort(busiestFirst).slice(0, perEgressIP));
}

/** More ports first; ties in a stable order (address, port, protocol), by code unit: no locale's collation. */
function busiestFirst(a: SnatPortUse, b: SnatPortUse): number {
  return (
    b.ports - a.ports ||
    compare(a.remoteAddress, b.remoteAddress) ||
    a.remotePort - b.remotePort ||
    compare(a.protocol, b.protocol)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
