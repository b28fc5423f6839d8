// Which addresses on the uplink are ours. `ip addr` has no owner field, so ownership is by convention: IPv4
// egress addresses carry the `<uplink>:egp` label; IPv6 ones (which cannot have labels) are full-length
// prefixes on the uplink with a finite lifetime and nodad, a combination neither SLAAC nor DHCPv6 produces.
import type { KernelAddress } from '../iproute2/ip-json.js';
import { addressLabel } from './egress-address.js';

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
