// What counts as ours in the kernel. ip addr, ip rule and ip route have no owner field, so ownership is by
// convention: IPv4 egress addresses carry the `<uplink>:egp` label; IPv6 ones (which cannot have labels) are
// full-length prefixes on the uplink with a finite lifetime and nodad, a combination neither SLAAC nor DHCPv6
// produces; policy rules are fwmark rules inside our mask looking up a table of our range; routes are those in
// our table range.
import { addressLabel } from '../names.js';
import type { IptablesOptions } from '../options.js';
import { routeTableRange } from '../model/gateway-slots.js';
import type { KernelAddress, KernelRoute, KernelRule } from '../state/ip-json.js';

export function isOurAddress(address: KernelAddress, uplink: string): boolean {
  if (address.family === 4) {
    const label = addressLabel(uplink);
    return (
      address.device === uplink &&
      label !== undefined &&
      address.label === label &&
      address.prefixLength === 32
    );
  }
  return address.device === uplink && address.prefixLength === 128 && address.dynamic && address.nodad;
}

export function isOurRule(rule: KernelRule, options: IptablesOptions): boolean {
  return rule.mask === options.mask && (rule.mark & ~options.mask) === 0 && inTableRange(rule.table, options);
}

export function isOurRoute(route: KernelRoute, options: IptablesOptions): boolean {
  return inTableRange(route.table, options);
}

export function inTableRange(table: number, options: IptablesOptions): boolean {
  const range = routeTableRange(options);
  return table >= range.first && table <= range.last;
}
