// Each gateway node gets its own fwmark value inside the mask, and its own routing table and rule priority.
// Assignment is by sorted node name, so every sync of the same table gives the same numbers.
import type { NodeEgressTable } from '@egress-proxier/core';
import { hex, type IptablesOptions } from '../options.js';

export interface GatewaySlot {
  node: string;
  mark: number;
  table: number;
  priority: number;
}

/** How many distinct marks fit in the mask starting at `mark`. */
export function markCapacity(options: Pick<IptablesOptions, 'mark' | 'mask'>): number {
  const step = lowestBit(options.mask);
  return Math.floor((options.mask - options.mark) / step) + 1;
}

export function gatewaySlots(table: NodeEgressTable, options: IptablesOptions): GatewaySlot[] {
  const nodes = [
    ...new Set(
      table.rules.flatMap((rule) => (rule.action.kind === 'steer' ? [rule.action.gateway.node] : [])),
    ),
  ].sort();
  const capacity = markCapacity(options);
  if (nodes.length > capacity) {
    throw new Error(
      `${nodes.length} gateway nodes need distinct marks but mark ${hex(options.mark)} in mask ${hex(options.mask)} leaves room for ${capacity}`,
    );
  }
  const step = lowestBit(options.mask);
  return nodes.map((node, index) => ({
    node,
    mark: (options.mark + index * step) >>> 0,
    table: options.routeTableBase + index,
    priority: options.rulePriority + index,
  }));
}

/** The routing tables this backend may use: one per possible mark. Cleanup looks only inside this range. */
export function routeTableRange(options: IptablesOptions): { first: number; last: number } {
  return { first: options.routeTableBase, last: options.routeTableBase + markCapacity(options) - 1 };
}

function lowestBit(mask: number): number {
  return (mask & -mask) >>> 0;
}
