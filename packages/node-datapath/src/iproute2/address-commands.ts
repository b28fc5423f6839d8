// `ip addr` argument vectors for egress addresses.
import type { EgressAddress } from '../addresses/egress-address.js';
import type { Command } from '../exec/command.js';

export function addressReplace(address: EgressAddress, lifetimeSeconds: number): Command {
  const args = [`-${address.family}`, 'addr', 'replace', address.cidr, 'dev', address.device];
  args.push('valid_lft', String(lifetimeSeconds), 'preferred_lft', String(lifetimeSeconds));
  if (address.label !== undefined) args.push('label', address.label);
  // nodad: an egress IP moves between nodes and must answer at once; nodad also marks IPv6 addresses as ours.
  if (address.family === 6) args.push('nodad');
  return { command: 'ip', args };
}

export function addressDelete(cidr: string, device: string): Command {
  return { command: 'ip', args: [cidr.includes(':') ? '-6' : '-4', 'addr', 'del', cidr, 'dev', device] };
}
