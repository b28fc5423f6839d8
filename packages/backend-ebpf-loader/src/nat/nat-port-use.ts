// SNAT port use from the NAT state: every reverse entry holds one translated port of (egress IP, remote, remote
// port, protocol), and a new flow to that endpoint needs a free one, so the count per endpoint is what runs out.
// Read from the reverse maps alone (two dumps, not the sweep's four): the programs refresh a reverse entry's
// last_seen on packets either way, so it alone says whether its flow is live (idle past its protocol's timeout:
// nat-expiry.ts). ICMP echo identifiers are left out: the contract counts TCP and UDP ports.
import type { SnatPortUse } from '@egress-proxier/core';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { readPinnedMap } from '../maps/map-dump.js';
import { idleLimitNs, natTimeouts, type NatTimeouts } from './nat-expiry.js';
import {
  canonicalAddress,
  decodeNatEntries,
  NAT_MAPS,
  NAT_PORT_MAX,
  NAT_PORT_MIN,
  type NatReverseEntry,
} from './nat-layout.js';
import { natMapPaths } from './nat-sweep.js';

export interface NatPortUseOptions {
  /** Only these egress IPs' ports are counted. */
  hostedEgressIPs: Iterable<string>;
  /** CLOCK_MONOTONIC in nanoseconds (process.hrtime.bigint()), the clock of bpf_ktime_get_ns(). */
  nowNs: bigint;
  timeouts?: Partial<NatTimeouts>;
}

/** The busiest endpoints of each hosted egress IP by the ports its live reverse entries hold. */
export async function readNatPortUse(
  runner: CommandRunner,
  mapsDir: string,
  options: NatPortUseOptions,
): Promise<SnatPortUse[]> {
  const paths = natMapPaths(mapsDir);
  const [rev4, rev6] = await Promise.all([
    readPinnedMap(runner, paths.rev4, NAT_MAPS.rev4),
    readPinnedMap(runner, paths.rev6, NAT_MAPS.rev6),
  ]);
  const entries = [...decodeNatEntries('rev4', rev4), ...decodeNatEntries('rev6', rev6)];
  return busiestEndpoints(liveReverseEntries(entries, options));
}

/** The reverse entries of hosted egress IPs whose flows are not idle past their protocol's timeout. */
export function liveReverseEntries(
  entries: Iterable<NatReverseEntry>,
  options: NatPortUseOptions,
): NatReverseEntry[] {
  const timeouts = natTimeouts(options.timeouts);
  const hosted = new Set([...options.hostedEgressIPs].map(canonicalAddress));
  return [...entries].filter(
    ({ key, value }) =>
      hosted.has(key.egress) && options.nowNs - value.lastSeenNs <= idleLimitNs(timeouts, key.protocol),
  );
}

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
