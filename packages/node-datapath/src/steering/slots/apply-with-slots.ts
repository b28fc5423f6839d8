// One sync's apply with slots from the allocator. A gateway that finds every free slot still being released (at
// capacity: the apply that releases a slot does not reuse it) is not steered to by the first apply — its rules
// drop, which never sends a packet out with a wrong source — and gets its slot from a second apply.
import type { NodeEgressTable } from '@egress-proxier/core';
import { dropSteeringTo, steeredGateways } from '../steered-gateways.js';
import type { GatewaySlotAllocator, SlotAllocation } from './slot-allocator.js';

/** Returns each apply's result, in order (one, or two when gateways were deferred). */
export async function applyWithStableSlots<T>(
  allocator: GatewaySlotAllocator,
  table: NodeEgressTable,
  apply: (table: NodeEgressTable, allocation: SlotAllocation) => Promise<T>,
  onDeferred: (gateways: readonly string[]) => void,
): Promise<T[]> {
  const gateways = steeredGateways(table);
  const first = allocator.allocate(gateways);
  const results = [await apply(dropSteeringTo(table, first.deferred), first)];
  if (first.deferred.length === 0) return results;
  onDeferred(first.deferred);
  const second = allocator.allocate(gateways);
  if (second.deferred.length > 0) throw new Error(`no slot for gateways ${second.deferred.join(', ')}`);
  results.push(await apply(table, second));
  return results;
}
