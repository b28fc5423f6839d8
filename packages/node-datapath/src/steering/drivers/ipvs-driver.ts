// IPVS steering (backend-ipvs): a slot's table is `local default dev lo`, so marked packets are delivered
// locally, where IPVS's LOCAL_IN hook finds the slot's fwmark service and forwards them to its one real server,
// the gateway: direct routing (`-g`, the original packet to the gateway's MAC: a shared L2) or IP-in-IP
// (`-i`, across L3; the gateway decapsulates on its fallback tunnel device). IPVS keeps no conntrack entry on
// the source node (the packet leaves untracked), so the CNI's masquerade never sees it.
import type { IPFamily } from '@egress-proxier/core';
import type { NodeDatapath } from '../../datapath/node-datapath.js';
import type { Command } from '../../exec/command.js';
import { planIpvs } from '../../ipvs/ipvs-commands.js';
import type { IpvsService } from '../../ipvs/ipvs-service.js';
import { DECAPSULATION_DEVICES, TUNNEL_OWNER_ALIAS } from '../../ipvs/ipvs-view.js';
import type { NodeKernelView } from '../../kernel/node-kernel-view.js';
import type { IpvsSettings } from '../../options/node-options.js';
import { slotRoute, type SteeringRoute } from '../steering-route.js';
import type { DriverContext, GatewayHop, MssClamp, Run, SteeringDriver } from './steering-driver.js';

export class IpvsSteering implements SteeringDriver {
  readonly mode = 'ipvs' as const;
  readonly setsWholeMark = true;
  /** IPVS schedules only these; anything else marked would be delivered to the node itself (ping answered). */
  readonly protocols = ['tcp', 'udp', 'sctp'] as const;

  constructor(
    private readonly uplink: string,
    private readonly mask: number,
    private readonly settings: IpvsSettings,
  ) {}

  route(hop: GatewayHop): SteeringRoute {
    return slotRoute(hop, this.mask, 'lo', undefined, 'local');
  }

  tunnel(): undefined {
    return undefined;
  }

  services(routes: readonly SteeringRoute[]): IpvsService[] {
    return routes.map((route) => ({
      family: route.family,
      fwmark: route.mark,
      scheduler: this.settings.scheduler,
      realServer: route.via,
      forwarding: this.settings.forwarding,
    }));
  }

  /** Direct routing delivers on the uplink; IP-in-IP on the family's decapsulation device as well. */
  ingressDevices(family: IPFamily): string[] {
    return this.settings.forwarding === 'tunnel'
      ? [this.uplink, DECAPSULATION_DEVICES[family]]
      : [this.uplink];
  }

  mssClamp(): MssClamp | undefined {
    return this.settings.forwarding === 'tunnel'
      ? { kind: 'steered-replies', mtu: this.settings.tunnelMtu }
      : undefined;
  }

  /**
   * The devices steering needs up: with tunnels every node is a possible gateway and decapsulates on the
   * fallback devices of ipip (tunl0, which must exist: preflight says so) and ip6_tunnel (ip6tnl0, only for
   * IPv6 policies, used when that module is loaded). Sysctls are the node's job (docs/backend-ipvs.md): a
   * container's /proc/sys is read-only, and preflight checks them.
   */
  tunnelDevices(): string[] {
    return this.settings.forwarding === 'tunnel' ? [DECAPSULATION_DEVICES[4], DECAPSULATION_DEVICES[6]] : [];
  }

  /** The tunnel devices, then services and their servers (before any rule leads to them). */
  async prepare(run: Run, _context: DriverContext, desired: NodeDatapath, view: NodeKernelView) {
    const held = view.ipvs;
    if (held === undefined) throw new Error('IPVS steering needs the IPVS state in the kernel view');
    for (const device of this.tunnelDevices()) {
      const state = held.tunnels.find((tunnel) => tunnel.device === device);
      // A missing tunl0 fails here, naming the device; a missing ip6tnl0 only matters to IPv6 policies.
      if (state?.up === true || (state === undefined && device === DECAPSULATION_DEVICES[6])) continue;
      await run(tunnelUp(device));
    }
    const { prepare } = planIpvs(desired.ipvs, held.services);
    if (prepare.length > 0) await run({ command: 'ipvsadm', args: ['-R'] }, `${prepare.join('\n')}\n`);
  }

  /** Services no rule leads to any more. */
  async retire(run: Run, _context: DriverContext, desired: NodeDatapath, view: NodeKernelView) {
    const { retire } = planIpvs(desired.ipvs, view.ipvs?.services ?? []);
    if (retire.length > 0) await run({ command: 'ipvsadm', args: ['-R'] }, `${retire.join('\n')}\n`);
  }
}

/** Up, marked as brought up by us (cleanup takes down only such a device). */
export function tunnelUp(device: string): Command {
  return { command: 'ip', args: ['link', 'set', 'dev', device, 'alias', TUNNEL_OWNER_ALIAS, 'up'] };
}

/** Down again, and our mark gone: the device as the module created it. */
export function tunnelDown(device: string): Command {
  return { command: 'ip', args: ['link', 'set', 'dev', device, 'down', 'alias', ''] };
}

/** Our mark gone, the device left up: for a device another user has taken on since. */
export function tunnelDisowned(device: string): Command {
  return { command: 'ip', args: ['link', 'set', 'dev', device, 'alias', ''] };
}
