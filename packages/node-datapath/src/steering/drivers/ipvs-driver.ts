// IPVS steering (backend-ipvs): a slot's table is `local default dev lo`, so marked packets are delivered
// locally, where IPVS's LOCAL_IN hook finds the slot's fwmark service and forwards them to its one real server,
// the gateway: direct routing (`-g`, the original packet to the gateway's MAC: a shared L2) or IP-in-IP
// (`-i`, across L3; the gateway decapsulates on its fallback tunnel device). IPVS keeps no conntrack entry on
// the source node (the packet leaves untracked), so the CNI's masquerade never sees it.
import type { NodeDatapath } from '../../datapath/node-datapath.js';
import type { Command } from '../../exec/command.js';
import { planIpvs } from '../../ipvs/ipvs-commands.js';
import type { IpvsService } from '../../ipvs/ipvs-service.js';
import { DECAPSULATION_DEVICES, EXPIRE_NODEST_CONN } from '../../ipvs/ipvs-view.js';
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

  ingressDevices(): string[] {
    return this.settings.forwarding === 'tunnel'
      ? [this.uplink, DECAPSULATION_DEVICES[4], DECAPSULATION_DEVICES[6]]
      : [this.uplink];
  }

  mssClamp(): MssClamp | undefined {
    return this.settings.forwarding === 'tunnel'
      ? { kind: 'steered-replies', mtu: this.settings.tunnelMtu }
      : undefined;
  }

  /**
   * The node settings steering relies on (all of them, as `render` shows; `prepare` runs those not in place).
   * expire_nodest_conn on every node, so that connections to a replaced gateway end at their next packet
   * instead of hanging on it. With tunnels every node is a possible gateway: it decapsulates on the fallback
   * devices, whose inner sources (pods of other nodes) route elsewhere, so reverse-path filtering there must be
   * loose. tunl0 must exist (the ipip module; preflight says so); ip6tnl0 (ip6_tunnel) only for IPv6 policies.
   */
  nodeSettings(): { expireNodestConn: Command; tunnels: { device: string; commands: Command[] }[] } {
    const up = (device: string): Command => ({ command: 'ip', args: ['link', 'set', device, 'up'] });
    const tunl0 = DECAPSULATION_DEVICES[4];
    const looseRpFilter: Command = {
      command: 'sysctl',
      args: ['-q', '-w', `net.ipv4.conf.${tunl0}.rp_filter=2`],
    };
    return {
      expireNodestConn: { command: 'sysctl', args: ['-q', '-w', `${EXPIRE_NODEST_CONN}=1`] },
      tunnels:
        this.settings.forwarding === 'tunnel'
          ? [
              { device: tunl0, commands: [up(tunl0), looseRpFilter] },
              { device: DECAPSULATION_DEVICES[6], commands: [up(DECAPSULATION_DEVICES[6])] },
            ]
          : [],
    };
  }

  /** The settings steering relies on, then services and their servers (before any rule leads to them). */
  async prepare(run: Run, _context: DriverContext, desired: NodeDatapath, view: NodeKernelView) {
    const held = view.ipvs;
    if (held === undefined) throw new Error('IPVS steering needs the IPVS state in the kernel view');
    const settings = this.nodeSettings();
    if (!held.expireNodestConn) await run(settings.expireNodestConn);
    for (const { device, commands } of settings.tunnels) {
      const state = held.tunnels.find((tunnel) => tunnel.device === device);
      // ip6tnl0 is only there with ip6_tunnel loaded; a missing tunl0 fails here, naming the device.
      if (state?.up === true || (state === undefined && device === DECAPSULATION_DEVICES[6])) continue;
      for (const command of commands) await run(command);
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
