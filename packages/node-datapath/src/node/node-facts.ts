// Facts about the node: the uplink device, its primary address (the VXLAN source), MTU, and the sysctls that
// decide whether steered packets and egress IPs work (rp_filter, arp_ignore).
import type { CommandRunner } from '../exec/command-runner.js';
import { parseAddresses, parseDefaultRouteDevice, parseLinks } from '../iproute2/ip-json.js';
import { isOurAddress } from '../addresses/ownership.js';
import type { SteeringSelection } from '../options/node-options.js';

export interface NodeFacts {
  uplink: string;
  /** The uplink's interface index (what BPF redirects and tc name it by). */
  ifindex: number | undefined;
  mtu: number | undefined;
  /** Effective IPv4 rp_filter of the uplink: max(all, device). 1 = strict. */
  rpFilter: number;
  /** Effective arp_ignore of the uplink: max(all, device). */
  arpIgnore: number;
}

/** `flag` is how the user sets the uplink (e.g. `--iptables-uplink`), for the error message. */
export async function detectUplink(runner: CommandRunner, flag = 'the uplink option'): Promise<string> {
  const device = parseDefaultRouteDevice(await runner.stdout('ip', '-j', '-4', 'route', 'show', 'default'));
  if (device === undefined) throw new Error(`no IPv4 default route to take the uplink from; set ${flag}`);
  return device;
}

/** The uplink's first global IPv4 address that is not one of our egress IPs. */
export async function uplinkAddress(runner: CommandRunner, uplink: string): Promise<string> {
  const addresses = parseAddresses(await runner.stdout('ip', '-j', '-4', 'addr', 'show', 'dev', uplink));
  const primary = addresses.find((address) => address.family === 4 && !isOurAddress(address, uplink));
  if (primary === undefined) throw new Error(`uplink ${uplink} has no IPv4 address for the VXLAN source`);
  return primary.local;
}

export async function readNodeFacts(runner: CommandRunner, uplink: string): Promise<NodeFacts> {
  const link = parseLinks(await runner.stdout('ip', '-j', 'link', 'show', 'dev', uplink))[0];
  return {
    uplink,
    ifindex: link?.ifindex,
    mtu: link?.mtu,
    rpFilter: await effectiveSysctl(runner, 'rp_filter', uplink),
    arpIgnore: await effectiveSysctl(runner, 'arp_ignore', uplink),
  };
}

/**
 * rp_filter 1 (strict) drops a steered packet whose pod source is routed back through another device, e.g. a
 * CNI overlay.
 */
export async function strictReversePathFilter(runner: CommandRunner, uplink: string): Promise<boolean> {
  return (await effectiveSysctl(runner, 'rp_filter', uplink)) === 1;
}

/** The kernel uses max(all, device) for rp_filter and arp_ignore; an unreadable key counts as 0. */
async function effectiveSysctl(runner: CommandRunner, key: string, device: string): Promise<number> {
  const result = await runner.read(
    { command: 'sysctl', args: ['-n', `net.ipv4.conf.all.${key}`, `net.ipv4.conf.${device}.${key}`] },
    { allowedExitCodes: [1, 255] },
  );
  const values = result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number)
    .filter(Number.isFinite);
  return Math.max(0, ...values);
}

/** Warnings a node backend logs at start: settings that break gateways or steering. */
export function nodeFactWarnings(
  facts: NodeFacts,
  steering: SteeringSelection & { vxlanMtu: number },
): string[] {
  const warnings: string[] = [];
  if (facts.rpFilter === 1) {
    warnings.push(
      'strict rp_filter on the uplink: as a gateway, this node drops steered packets whose pod source routes elsewhere (set rp_filter=2)',
    );
  }
  if (facts.arpIgnore >= 2) {
    warnings.push(
      `arp_ignore=${facts.arpIgnore} on the uplink: ARP for egress IPs (/32, so in no asking host's subnet) goes unanswered (set arp_ignore to 0 or 1)`,
    );
  }
  if (steering.steering === 'vxlan' && facts.mtu !== undefined && steering.vxlanMtu > facts.mtu - 50) {
    warnings.push(
      `VXLAN MTU ${steering.vxlanMtu} does not fit the uplink's ${facts.mtu} minus 50 bytes of encapsulation: tunnelled packets get fragmented or dropped`,
    );
  }
  if (
    steering.steering === 'ipvs' &&
    steering.ipvs.forwarding === 'tunnel' &&
    facts.mtu !== undefined &&
    steering.ipvs.tunnelMtu > facts.mtu
  ) {
    warnings.push(
      `IPVS tunnel MTU ${steering.ipvs.tunnelMtu} is above the uplink's ${facts.mtu}: steered connections are clamped too little`,
    );
  }
  return warnings;
}
