// NodeEgressTable + options + the node's uplink → DesiredDatapath. Pure: no kernel access.
import type { IPFamily, NodeEgressTable } from '@egress-proxier/core';
import { addressLabel } from '../names.js';
import type { IptablesOptions } from '../options.js';
import { familyRuleset } from './chains.js';
import type { DesiredDatapath, EgressAddress, SteeringRoute, VxlanSpec } from './desired-datapath.js';
import { GatewaySlotAllocator } from './gateway-slot-allocator.js';
import { SlotLayout, type GatewaySlot } from './gateway-slots.js';
import { desiredIpsets } from './ipsets.js';
import { steeredGateways } from './steered-gateways.js';

export interface NodeFacts {
  /** The uplink device name (from the option or the default route). */
  uplink: string;
  /** Families whose chains exist in the kernel though the table no longer uses them: they get empty chains. */
  alsoFamilies?: readonly IPFamily[];
}

/** `slots` must hold one slot per gateway the table steers to (see GatewaySlotAllocator). */
export function buildDatapath(
  table: NodeEgressTable,
  options: IptablesOptions,
  facts: NodeFacts,
  slots: readonly GatewaySlot[],
): DesiredDatapath {
  const families = [...new Set([...familiesInUse(table), ...(facts.alsoFamilies ?? [])])].sort();
  const rulesets = families.map((family) =>
    familyRuleset(table, family, { options, slots, uplink: facts.uplink }),
  );
  const steeringDevice = options.steering === 'vxlan' ? options.vxlanDevice : facts.uplink;
  const routes: SteeringRoute[] = [];
  for (const slot of slots) {
    for (const family of [4, 6] as const) {
      const hop = table.rules.find(
        (rule) =>
          rule.family === family && rule.action.kind === 'steer' && rule.action.gateway.node === slot.node,
      );
      if (hop?.action.kind !== 'steer') continue;
      routes.push({
        family,
        gatewayNode: slot.node,
        mark: slot.mark,
        mask: options.mask,
        table: slot.table,
        priority: slot.priority,
        via: hop.action.gateway.nodeIP,
        device: steeringDevice,
        tunnelEndpoint: options.steering === 'vxlan' && family === 4 ? hop.action.gateway.nodeIP : undefined,
      });
    }
  }
  const label = addressLabel(facts.uplink);
  const addresses: EgressAddress[] = table.hostedEgressIPs.map(({ ip, family }) => ({
    ip,
    family,
    cidr: `${ip}/${family === 4 ? 32 : 128}`,
    device: facts.uplink,
    label: family === 4 ? label : undefined,
  }));
  const vxlan: VxlanSpec | undefined =
    options.steering === 'vxlan'
      ? {
          device: options.vxlanDevice,
          id: options.vxlanId,
          port: options.vxlanPort,
          mtu: options.vxlanMtu,
          uplink: facts.uplink,
          remotes: [
            ...new Set(routes.filter((route) => route.family === 4).map((route) => route.via)),
          ].sort(),
        }
      : undefined;
  return { ipsets: desiredIpsets(table), rulesets, routes, addresses, vxlan };
}

/** The slots a node with no history gives a table: gateways numbered in name order (what `render` shows). */
export function freshSlots(table: NodeEgressTable, options: IptablesOptions): GatewaySlot[] {
  return new GatewaySlotAllocator(new SlotLayout(options)).allocate(steeredGateways(table)).slots;
}

/** IPv4 chains always exist (an empty table still owns its chains); IPv6 ones only when the table uses IPv6. */
export function familiesInUse(table: NodeEgressTable): IPFamily[] {
  const usesV6 =
    table.rules.some((rule) => rule.family === 6) ||
    table.hostedEgressIPs.some((hosted) => hosted.family === 6) ||
    table.sourceSets.some((set) => set.family === 6);
  return usesV6 ? [4, 6] : [4];
}
