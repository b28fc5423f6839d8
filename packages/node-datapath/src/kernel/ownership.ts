// Which policy rules and routes are ours: fwmark rules inside our mask looking up a table of our range, and
// the routes of that range. `ip rule` and `ip route` have no owner field; the numbering options are the fence.
import type { KernelRoute, KernelRule } from '../iproute2/ip-json.js';
import { routeTableRange, type SlotNumbering } from '../steering/slots/slot-layout.js';

export function isOurRule(rule: KernelRule, options: SlotNumbering): boolean {
  return rule.mask === options.mask && (rule.mark & ~options.mask) === 0 && inTableRange(rule.table, options);
}

export function isOurRoute(route: KernelRoute, options: SlotNumbering): boolean {
  return inTableRange(route.table, options);
}

export function inTableRange(table: number, options: SlotNumbering): boolean {
  const range = routeTableRange(options);
  return table >= range.first && table <= range.last;
}
