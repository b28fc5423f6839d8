// One IPVS fwmark virtual service of ours: packets a source node marks for a gateway slot reach IPVS at
// LOCAL_IN (through `local default dev lo` in the slot's table), and the service's only real server is that
// gateway's node IP. IPv4 and IPv6 services of one mark are distinct kernel objects.
import type { IPFamily } from '@egress-proxier/core';
import type { IpvsSettings } from '../options/node-options.js';

export interface IpvsService {
  family: IPFamily;
  fwmark: number;
  /** Ours are `sh` or `mh`; any other read from the kernel is a difference the next sync repairs. */
  scheduler: IpvsSettings['scheduler'] | string;
  /** The gateway's node IP; undefined when the kernel's service has no (or more than one) real server. */
  realServer: string | undefined;
  forwarding: IpvsSettings['forwarding'];
}

export function serviceKey(service: Pick<IpvsService, 'family' | 'fwmark'>): string {
  return `v${service.family} fwmark ${service.fwmark}`;
}
