// What a node holds of IPVS steering: our fwmark services (`ipvsadm -S -n`, marks inside our mask) and, with
// tunnel forwarding, whether the IP-in-IP devices that decapsulate on a gateway are up. Small and bounded (a service per gateway), so it is re-read on every sync.
import type { CommandRunner } from '../exec/command-runner.js';
import { parseLinks } from '../iproute2/ip-json.js';
import type { IpvsSettings } from '../options/node-options.js';
import type { SlotNumbering } from '../steering/slots/slot-layout.js';
import type { IpvsService } from './ipvs-service.js';
import { parseIpvsSave } from './ipvsadm-save.js';

/** The fallback devices the ipip and ip6_tunnel modules create: they take IP-in-IP packets for any address. */
export const DECAPSULATION_DEVICES = { 4: 'tunl0', 6: 'ip6tnl0' } as const;

/** Connections to a removed real server end at their next packet: what a moved gateway needs (preflight). */
/**
 * The alias we give a decapsulation device when we bring it up: the kernel keeps it across our restarts, so
 * `cleanup` takes down only a device we brought up, never one a CNI (Calico's IPIP mode uses tunl0) had up.
 */
export const TUNNEL_OWNER_ALIAS = 'egress-proxier';

export const EXPIRE_NODEST_CONN = 'net.ipv4.vs.expire_nodest_conn';

export interface IpvsView {
  services: IpvsService[];
  /** Decapsulation devices that exist (their module is loaded), with their state (tunnel forwarding only). */
  tunnels: DecapsulationDevice[];
}

export interface DecapsulationDevice {
  device: string;
  up: boolean;
  /** We brought it up (it carries TUNNEL_OWNER_ALIAS). */
  ours: boolean;
}

export async function readIpvsView(
  runner: CommandRunner,
  options: SlotNumbering & { ipvs: IpvsSettings },
): Promise<IpvsView> {
  const [saved, tunnels] = await Promise.all([
    runner.stdout('ipvsadm', '-S', '-n'),
    options.ipvs.forwarding === 'tunnel' ? readDecapsulationDevices(runner) : Promise.resolve([]),
  ]);
  return {
    services: parseIpvsSave(saved).filter((service) => isOurService(service.fwmark, options)),
    tunnels,
  };
}

export function isOurService(fwmark: number, options: Pick<SlotNumbering, 'mask'>): boolean {
  return fwmark !== 0 && (fwmark & ~options.mask) === 0;
}

export async function readDecapsulationDevices(runner: CommandRunner): Promise<DecapsulationDevice[]> {
  // All links, not `show dev ip6tnl0`: asking for a missing device by name makes the kernel load the module
  // that provides it (netdev-ip6tnl0 is ip6_tunnel's alias), which creates the device in every namespace.
  const links = parseLinks(await runner.stdout('ip', '-j', 'link', 'show'));
  const names: readonly string[] = Object.values(DECAPSULATION_DEVICES);
  return links
    .filter((link) => names.includes(link.name))
    .map((link) => ({ device: link.name, up: link.up, ours: link.alias === TUNNEL_OWNER_ALIAS }));
}
