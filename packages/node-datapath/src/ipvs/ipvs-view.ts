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
export const EXPIRE_NODEST_CONN = 'net.ipv4.vs.expire_nodest_conn';

export interface IpvsView {
  services: IpvsService[];
  /** Decapsulation devices that exist (their module is loaded), with their state (tunnel forwarding only). */
  tunnels: { device: string; up: boolean }[];
}

export async function readIpvsView(
  runner: CommandRunner,
  options: SlotNumbering & { ipvs: IpvsSettings },
): Promise<IpvsView> {
  const [saved, tunnels] = await Promise.all([
    runner.stdout('ipvsadm', '-S', '-n'),
    options.ipvs.forwarding === 'tunnel' ? readTunnels(runner) : Promise.resolve([]),
  ]);
  return {
    services: parseIpvsSave(saved).filter((service) => isOurService(service.fwmark, options)),
    tunnels,
  };
}

export function isOurService(fwmark: number, options: Pick<SlotNumbering, 'mask'>): boolean {
  return fwmark !== 0 && (fwmark & ~options.mask) === 0;
}

async function readTunnels(runner: CommandRunner): Promise<IpvsView['tunnels']> {
  const tunnels: IpvsView['tunnels'] = [];
  for (const device of Object.values(DECAPSULATION_DEVICES)) {
    const result = await runner.read(
      { command: 'ip', args: ['-j', 'link', 'show', 'dev', device] },
      { allowedExitCodes: [1] },
    );
    const link = result.exitCode === 0 ? parseLinks(result.stdout)[0] : undefined;
    if (link !== undefined) tunnels.push({ device, up: link.up });
  }
  return tunnels;
}
