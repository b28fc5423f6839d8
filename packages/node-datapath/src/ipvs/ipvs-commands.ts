// `ipvsadm -R` input that turns the fwmark services the kernel holds into the desired ones, in two halves
// around the policy routing change: `prepare` (before any mark leads to a service) adds services and puts
// each one's real server right; `retire` (after the last rule leading to a service is gone) deletes services.
// A real server is replaced delete-first: between the two lines new connections find no server (IPVS drops
// them), never the old gateway; with expire_nodest_conn the old server's connections end at their next packet.
import type { IpvsService } from './ipvs-service.js';
import { serviceKey } from './ipvs-service.js';

export interface IpvsPlan {
  prepare: string[];
  retire: string[];
}

export function planIpvs(desired: readonly IpvsService[], held: readonly IpvsService[]): IpvsPlan {
  const heldBy = new Map(held.map((service) => [serviceKey(service), service]));
  const wanted = new Set(desired.map(serviceKey));
  const prepare: string[] = [];
  for (const service of desired) {
    const current = heldBy.get(serviceKey(service));
    if (current === undefined) {
      prepare.push(serviceLine('-A', service), ...serverLines(service));
      continue;
    }
    if (current.scheduler !== service.scheduler) prepare.push(serviceLine('-E', service));
    if (current.realServer !== service.realServer || current.forwarding !== service.forwarding) {
      // The kernel may hold several servers (drift): deleting and re-adding the service clears them all.
      prepare.push(serviceLine('-D', current), serviceLine('-A', service), ...serverLines(service));
    }
  }
  return { prepare, retire: ipvsDeleteLines(held.filter((service) => !wanted.has(serviceKey(service)))) };
}

export function ipvsDeleteLines(services: readonly IpvsService[]): string[] {
  return services.map((service) => serviceLine('-D', service));
}

/** The whole desired state as restore input (what `render` prints). */
export function ipvsRestoreText(services: readonly IpvsService[]): string {
  return services.flatMap((service) => [serviceLine('-A', service), ...serverLines(service)]).join('\n');
}

function serviceLine(verb: '-A' | '-E' | '-D', service: IpvsService): string {
  const family = service.family === 6 ? ' -6' : '';
  const scheduler = verb === '-D' ? '' : ` -s ${service.scheduler}`;
  return `${verb} -f ${service.fwmark}${family}${scheduler}`;
}

function serverLines(service: IpvsService): string[] {
  if (service.realServer === undefined) return [];
  const family = service.family === 6 ? ' -6' : '';
  // ipvsadm takes an IPv6 server only bracketed with a port (0: a fwmark service keeps the packet's port).
  const server = service.family === 6 ? `[${service.realServer}]:0` : service.realServer;
  const method = service.forwarding === 'tunnel' ? '-i' : '-g';
  return [`-a -f ${service.fwmark}${family} -r ${server} ${method} -w 1`];
}
