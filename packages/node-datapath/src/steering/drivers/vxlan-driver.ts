// VXLAN steering across L3: every node has the tunnel device (so gateways decapsulate), a slot's route leads
// into it, and each gateway gets a flood entry. The outer packet keeps the inner packet's mark, so each IPv4
// table also holds a `throw` route for the gateway's node IP, or the tunnel's own packets would loop back in.
import {
  fdbAppend,
  fdbDelete,
  vxlanAddressAdd,
  vxlanCreate,
  vxlanDelete,
} from '../../iproute2/vxlan-commands.js';
import type { NodeKernelView } from '../../kernel/node-kernel-view.js';
import { slotRoute, type SteeringRoute } from '../steering-route.js';
import type { VxlanSpec } from '../vxlan-spec.js';
import type { NodeDatapath } from '../../datapath/node-datapath.js';
import type { DriverContext, GatewayHop, MssClamp, Run, SteeringDriver } from './steering-driver.js';

export interface VxlanSettings {
  device: string;
  id: number;
  port: number;
  mtu: number;
}

export class VxlanSteering implements SteeringDriver {
  readonly mode = 'vxlan' as const;
  readonly setsWholeMark = false;
  readonly protocols = undefined;

  constructor(
    private readonly uplink: string,
    private readonly mask: number,
    private readonly settings: VxlanSettings,
  ) {}

  route(hop: GatewayHop): SteeringRoute {
    const endpoint = hop.family === 4 ? hop.nodeIP : undefined;
    return slotRoute(hop, this.mask, this.settings.device, endpoint);
  }

  tunnel(routes: readonly SteeringRoute[]): VxlanSpec {
    return {
      ...this.settings,
      uplink: this.uplink,
      remotes: [...new Set(routes.filter((route) => route.family === 4).map((route) => route.via))].sort(),
    };
  }

  services(): [] {
    return [];
  }

  ingressDevices(): string[] {
    return [this.uplink, this.settings.device];
  }

  mssClamp(): MssClamp {
    return { kind: 'tunnel-device', device: this.settings.device, mtu: this.settings.mtu };
  }

  /** The device (created, or given its address if an older version made it) and missing flood entries. */
  async prepare(run: Run, context: DriverContext, datapath: NodeDatapath, view: NodeKernelView) {
    const desired = datapath.vxlan;
    if (desired === undefined) return;
    if (!view.vxlan.exists) {
      for (const command of vxlanCreate(desired, await context.uplinkAddress())) await run(command);
    } else if (!view.vxlan.addressed) {
      await run(vxlanAddressAdd(desired.device));
    }
    const known = new Set(view.vxlan.exists ? view.vxlan.remotes : []);
    for (const remote of desired.remotes)
      if (!known.has(remote)) await run(fdbAppend(desired.device, remote));
  }

  /** Flood entries toward gateways no longer steered to. */
  async retire(run: Run, _context: DriverContext, datapath: NodeDatapath, view: NodeKernelView) {
    const desired = datapath.vxlan;
    if (desired === undefined) {
      if (view.vxlan.exists) await run(vxlanDelete(this.settings.device));
      return;
    }
    const wanted = new Set(desired.remotes);
    for (const remote of view.vxlan.remotes)
      if (!wanted.has(remote)) await run(fdbDelete(desired.device, remote));
  }
}
