// The node-level kernel objects a NodeEgressTable becomes on one node, as plain data: steering routes (with
// their rules), egress addresses, the tunnel device and IPVS services. A backend adds its own objects (chains,
// sets, maps) beside these; `render` prints them and `sync` diffs them against the kernel.
import type { NodeEgressTable } from '@egress-proxier/core';
import { desiredAddresses, type EgressAddress } from '../addresses/egress-address.js';
import type { SteeringDriver } from '../steering/drivers/steering-driver.js';
import type { GatewaySlot } from '../steering/slots/slot-layout.js';
import type { IpvsService } from '../ipvs/ipvs-service.js';
import type { SteeringRoute } from '../steering/steering-route.js';
import type { VxlanSpec } from '../steering/vxlan-spec.js';

export interface NodeDatapath {
  routes: SteeringRoute[];
  addresses: EgressAddress[];
  vxlan: VxlanSpec | undefined;
  /** IPVS steering: a fwmark service per slot and family, the gateway its only real server. */
  ipvs: IpvsService[];
}

/** `slots` must hold one slot per gateway the table steers to (see GatewaySlotAllocator). */
export function buildNodeDatapath(
  table: NodeEgressTable,
  steering: SteeringDriver,
  uplink: string,
  slots: readonly GatewaySlot[],
): NodeDatapath {
  const routes: SteeringRoute[] = [];
  for (const slot of slots) {
    for (const family of [4, 6] as const) {
      const hop = table.rules.find(
        (rule) =>
          rule.family === family && rule.action.kind === 'steer' && rule.action.gateway.node === slot.node,
      );
      if (hop?.action.kind !== 'steer') continue;
      routes.push(steering.route({ family, slot, nodeIP: hop.action.gateway.nodeIP }));
    }
  }
  return {
    routes,
    addresses: desiredAddresses(table, uplink),
    vxlan: steering.tunnel(routes),
    ipvs: steering.services(routes),
  };
}
