// Re-learns the slot numbering from the kernel, so a backend that adopts existing state (a restart, drift, a
// failed apply) keeps every gateway on the slot its packets already use. A slot belongs to a gateway when our
// `ip rule fwmark M/MASK lookup T priority P` has the slot's numbers and table T's `default via V` is that
// gateway's node IP in the new table (with IPVS steering, T is `local default` and V is the real server of
// the fwmark service M). Every other index the kernel uses (a rule, a route table, a mark the
// backend's own datapath still sets) is held for no gateway: the allocator keeps it out of the next apply,
// which removes it.
import type { IPFamily, NodeEgressTable } from '@egress-proxier/core';
import type { KernelRoute, KernelRule } from '../../iproute2/ip-json.js';
import type { IpvsService } from '../../ipvs/ipvs-service.js';
import type { SlotsInKernel } from './slot-allocator.js';
import type { SlotLayout } from './slot-layout.js';

export interface SteeringInKernel {
  /** Our ip rules (see kernel/ownership.ts). */
  rules: readonly KernelRule[];
  /** Routes of our table range. */
  routes: readonly KernelRoute[];
  /** Our IPVS services, with IPVS steering. */
  ipvs?: { services: readonly IpvsService[] } | undefined;
}

/** `marksInUse`: marks the backend's datapath (iptables mangle rules, an nftables map, a BPF map) still sets. */
export function slotsInKernel(
  kernel: SteeringInKernel,
  layout: SlotLayout,
  table: NodeEgressTable,
  marksInUse: Iterable<number> = [],
): SlotsInKernel {
  const gatewayAt = new Map<string, string>();
  for (const rule of table.rules) {
    if (rule.action.kind !== 'steer') continue;
    const key = hopKey(rule.family, rule.action.gateway.nodeIP);
    if (!gatewayAt.has(key)) gatewayAt.set(key, rule.action.gateway.node);
  }
  const slots = new Map<number, string | undefined>();
  const contested = new Set<number>();
  const occupy = (index: number | undefined) => {
    if (index !== undefined && !slots.has(index)) slots.set(index, undefined);
  };
  for (const rule of kernel.rules) {
    const index = layout.indexOfMark(rule.mark);
    occupy(index);
    occupy(layout.indexOfTable(rule.table));
    if (index === undefined) continue;
    const expected = layout.slot(index, '');
    if (rule.table !== expected.table || rule.priority !== expected.priority) continue;
    const via = nextHop(kernel, rule);
    const node = via === undefined ? undefined : gatewayAt.get(hopKey(rule.family, via));
    if (node === undefined || contested.has(index)) continue;
    const claimed = slots.get(index);
    if (claimed === undefined) slots.set(index, node);
    else if (claimed !== node) {
      // IPv4 and IPv6 disagree about this slot: trust neither.
      contested.add(index);
      slots.set(index, undefined);
    }
  }
  for (const route of kernel.routes) occupy(layout.indexOfTable(route.table));
  for (const mark of marksInUse) occupy(layout.indexOfMark(mark));
  return slots;
}

/** Where the rule's table leads: its default route's gateway, or the real server of IPVS's service. */
function nextHop(kernel: SteeringInKernel, rule: KernelRule): string | undefined {
  const route = kernel.routes.find(
    (r) => r.family === rule.family && r.table === rule.table && r.dst === 'default',
  );
  if (route?.type === 'unicast') return route.via;
  if (route?.type !== 'local') return undefined;
  const service = kernel.ipvs?.services.find(
    (candidate) => candidate.family === rule.family && candidate.fwmark === rule.mark,
  );
  return service?.realServer;
}

function hopKey(family: IPFamily, nodeIP: string): string {
  return `${family}|${nodeIP}`;
}
