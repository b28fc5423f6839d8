// Facts about the node read once at start: the uplink device, its primary address (the VXLAN source), and
// whether strict reverse-path filtering would drop packets steered to this node.
import { parseAddresses, parseDefaultRouteDevice } from '../state/ip-json.js';
import type { CommandRunner } from './command-runner.js';
import { isOurAddress } from './ownership.js';

export async function detectUplink(runner: CommandRunner): Promise<string> {
  const device = parseDefaultRouteDevice(await runner.stdout('ip', '-j', '-4', 'route', 'show', 'default'));
  if (device === undefined) {
    throw new Error('no IPv4 default route to take the uplink from; set --iptables-uplink');
  }
  return device;
}

/** The uplink's first global IPv4 address that is not one of our egress IPs. */
export async function uplinkAddress(runner: CommandRunner, uplink: string): Promise<string> {
  const addresses = parseAddresses(await runner.stdout('ip', '-j', '-4', 'addr', 'show', 'dev', uplink));
  const primary = addresses.find((address) => address.family === 4 && !isOurAddress(address, uplink));
  if (primary === undefined) throw new Error(`uplink ${uplink} has no IPv4 address for the VXLAN source`);
  return primary.local;
}

/**
 * rp_filter's effective value on a device is the maximum of `all` and the device's own; 1 (strict) drops a
 * steered packet whose pod source is routed back through another device, e.g. a CNI overlay.
 */
export async function strictReversePathFilter(runner: CommandRunner, uplink: string): Promise<boolean> {
  const result = await runner.run(
    { command: 'sysctl', args: ['-n', 'net.ipv4.conf.all.rp_filter', `net.ipv4.conf.${uplink}.rp_filter`] },
    { allowedExitCodes: [1, 255] },
  );
  const values = result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
  return Math.max(0, ...values) === 1;
}
