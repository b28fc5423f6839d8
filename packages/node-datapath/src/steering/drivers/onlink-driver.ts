// On-link steering: nodes share an L2 segment, so a slot's route is `default via <gateway node IP> dev <uplink>
// onlink`. The only device work is removing a VXLAN device left by an earlier `steering=vxlan`.
import { vxlanDelete } from '../../iproute2/vxlan-commands.js';
import type { NodeKernelView } from '../../kernel/node-kernel-view.js';
import { slotRoute, type SteeringRoute } from '../steering-route.js';
import type { GatewayHop, Run, SteeringDriver } from './steering-driver.js';

export class OnLinkSteering implements SteeringDriver {
  readonly mode = 'onlink' as const;
  readonly setsWholeMark = false;
  readonly protocols = undefined;

  constructor(
    private readonly uplink: string,
    private readonly mask: number,
    /** The VXLAN device name of `steering=vxlan`, removed if found. */
    private readonly formerTunnel: string,
  ) {}

  route(hop: GatewayHop): SteeringRoute {
    return slotRoute(hop, this.mask, this.uplink, undefined);
  }

  tunnel(): undefined {
    return undefined;
  }

  services(): [] {
    return [];
  }

  ingressDevices(): string[] {
    return [this.uplink];
  }

  mssClamp(): undefined {
    return undefined;
  }

  async prepare(): Promise<void> {}

  async retire(run: Run, _context: unknown, _desired: unknown, view: NodeKernelView): Promise<void> {
    if (view.vxlan.exists) await run(vxlanDelete(this.formerTunnel));
  }
}
