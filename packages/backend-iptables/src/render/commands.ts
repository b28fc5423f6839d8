// Argument vectors for the `ip`, `bridge` and `sysctl` commands that program addresses, steering routes and
// the VXLAN device. Used both to run them and to print them in `render`.
import type { EgressAddress, SteeringRoute, VxlanSpec } from '../model/desired-datapath.js';
import { hex } from '../options.js';

export interface Command {
  command: string;
  args: string[];
}

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

export function ruleAdd(route: SteeringRoute): Command {
  return { command: 'ip', args: [`-${route.family}`, 'rule', 'add', ...ruleSelector(route)] };
}

export function ruleDelete(rule: {
  family: 4 | 6;
  mark: number;
  mask: number;
  table: number;
  priority: number;
}): Command {
  return { command: 'ip', args: [`-${rule.family}`, 'rule', 'del', ...ruleSelector(rule)] };
}

function ruleSelector(rule: { mark: number; mask: number; table: number; priority: number }): string[] {
  return [
    'fwmark',
    `${hex(rule.mark)}/${hex(rule.mask)}`,
    'lookup',
    String(rule.table),
    'priority',
    String(rule.priority),
  ];
}

export function routeReplace(route: SteeringRoute): Command {
  const args = [`-${route.family}`, 'route', 'replace', 'default', 'via', route.via, 'dev', route.device];
  return { command: 'ip', args: [...args, 'onlink', 'table', String(route.table)] };
}

/** Lets the tunnel's own (marked) packets to the gateway fall through to the main table. */
export function throwRouteReplace(family: 4 | 6, endpoint: string, table: number): Command {
  const cidr = `${endpoint}/${family === 4 ? 32 : 128}`;
  return { command: 'ip', args: [`-${family}`, 'route', 'replace', 'throw', cidr, 'table', String(table)] };
}

export function throwRouteDelete(family: 4 | 6, destination: string, table: number): Command {
  return {
    command: 'ip',
    args: [`-${family}`, 'route', 'del', 'throw', destination, 'table', String(table)],
  };
}

export function routeFlush(family: 4 | 6, table: number): Command {
  return { command: 'ip', args: [`-${family}`, 'route', 'flush', 'table', String(table)] };
}

export function vxlanCreate(vxlan: VxlanSpec, localAddress: string): Command[] {
  return [
    {
      command: 'ip',
      args: [
        'link',
        'add',
        vxlan.device,
        'type',
        'vxlan',
        'id',
        String(vxlan.id),
        'dstport',
        String(vxlan.port),
        'dev',
        vxlan.uplink,
        'local',
        localAddress,
        // A gateway has flood entries only toward other gateways; it answers a source node's ARP through the
        // entry learned from that node's frames.
        'learning',
      ],
    },
    vxlanAddressAdd(vxlan.device),
    vxlanUp(vxlan),
    // Decapsulated packets carry pod sources routed back via the uplink: loose rp_filter (the kernel uses
    // max(all, device), so this also overrides a strict `all`) accepts them.
    { command: 'sysctl', args: ['-q', '-w', `net.ipv4.conf.${vxlan.device}.rp_filter=2`] },
  ];
}

/**
 * The device needs an IPv4 address, or the kernel's reverse-path check rejects everything it receives
 * whenever rp_filter is on (fib_validate_source: a device without addresses goes to "last_resort", which
 * fails for rp_filter 1 and 2 alike): the gateway would neither answer ARP nor forward decapsulated packets.
 * RFC 7600's IPv4 dummy address exists for exactly this (an interface that needs an address but is not
 * addressed); `scope host` keeps it off the wire: the kernel never picks it as a source (an ARP request
 * "tell 192.0.0.8" would be dropped by every gateway, which holds the same address), so ARP and ICMP keep
 * using the node IP, and the same address can sit on every node with no per-node overlay plan.
 */
export const VXLAN_DEVICE_ADDRESS = '192.0.0.8';

export function vxlanAddressAdd(device: string): Command {
  return {
    command: 'ip',
    args: ['-4', 'addr', 'replace', `${VXLAN_DEVICE_ADDRESS}/32`, 'dev', device, 'scope', 'host'],
  };
}

export function vxlanUp(vxlan: VxlanSpec): Command {
  return { command: 'ip', args: ['link', 'set', vxlan.device, 'mtu', String(vxlan.mtu), 'up'] };
}

export function vxlanDelete(device: string): Command {
  return { command: 'ip', args: ['link', 'del', device] };
}

/** Flood entry: broadcast and unknown frames (ARP for the gateway's node IP) go to this remote VTEP. */
export function fdbAppend(device: string, remote: string): Command {
  return { command: 'bridge', args: ['fdb', 'append', '00:00:00:00:00:00', 'dev', device, 'dst', remote] };
}

export function fdbDelete(device: string, remote: string): Command {
  return { command: 'bridge', args: ['fdb', 'del', '00:00:00:00:00:00', 'dev', device, 'dst', remote] };
}

/**
 * Many `ip` commands as one `ip -batch -` run (a gateway may hold thousands of egress addresses: one exec each
 * took ~5 ms, 10 s for 2,000). The family flag goes: in batch lines the address itself says the family.
 */
export function ipBatch(commands: readonly Command[]): { command: Command; input: string } {
  const lines = commands.map((command) => {
    if (command.command !== 'ip') throw new Error(`not an ip command: ${commandLine(command)}`);
    const args = command.args[0] === '-4' || command.args[0] === '-6' ? command.args.slice(1) : command.args;
    return `${args.join(' ')}\n`;
  });
  return { command: { command: 'ip', args: ['-batch', '-'] }, input: lines.join('') };
}

export function commandLine(command: Command): string {
  return [command.command, ...command.args].join(' ');
}
