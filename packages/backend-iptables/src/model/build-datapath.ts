// NodeEgressTable + options + the node's uplink → DesiredDatapath. Pure: no kernel access.
import type { IPFamily, NodeEgressTable } from '@egress-proxier/core';
import {
  buildNodeDatapath,
  GatewaySlotAllocator,
  SlotLayout,
  steeredGateways,
  steeringDriver,
  type GatewaySlot,
} from '@egress-proxier/node-datapath';
import type { IptablesOptions } from '../options.js';
import { familyRuleset } from './chains.js';
import type { DesiredDatapath } from './desired-datapath.js';
import { desiredIpsets } from './ipsets.js';

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
  const steering = steeringDriver(options, facts.uplink);
  const rulesets = families.map((family) => familyRuleset(table, family, { options, slots, steering }));
  const node = buildNodeDatapath(table, steering, facts.uplink, slots);
  return { ipsets: desiredIpsets(table), rulesets, ...node };
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
