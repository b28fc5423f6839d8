// `ip link` / `bridge fdb` / `sysctl` argument vectors for the VXLAN steering device.
import type { Command } from '../exec/command.js';
import type { VxlanSpec } from '../steering/vxlan-spec.js';

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
