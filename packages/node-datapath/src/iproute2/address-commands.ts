// `ip addr` argument vectors for egress addresses.
import type { EgressAddress } from '../addresses/egress-address.js';
import type { Command } from '../exec/command.js';

export function addressReplace(address: EgressAddress, lifetimeSeconds: number): Command {
  const args = [`-${address.family}`, 'addr', 'replace', address.cidr, 'dev', address.device];
  // IPv6: deprecated from the start (preferred_lft 0), so that source address selection never picks the egress
  // IP for the node's own or masqueraded traffic (it did, whatever its lifetime: the conformance suite saw other
  // pods leave with it); SNAT to it and replies to it work as before. IPv4 egress IPs are /32 secondaries,
  // which the kernel does not pick for other traffic.
  const preferred = address.family === 6 ? 0 : lifetimeSeconds;
  args.push('valid_lft', String(lifetimeSeconds), 'preferred_lft', String(preferred));
  if (address.label !== undefined) args.push('label', address.label);
  // nodad: an egress IP moves between nodes and must answer at once; nodad also marks IPv6 addresses as ours.
  // noprefixroute: no /128 route of ours in the main table, which outlived the address after cleanup.
  if (address.family === 6) args.push('nodad', 'noprefixroute');
  return { command: 'ip', args };
}

export function addressDelete(cidr: string, device: string): Command {
  return { command: 'ip', args: [cidr.includes(':') ? '-6' : '-4', 'addr', 'del', cidr, 'dev', device] };
}
