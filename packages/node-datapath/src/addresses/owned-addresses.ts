// Adoption: the egress addresses a previous process left on the uplink, read back as EgressAddresses.
import type { CommandRunner } from '../exec/command-runner.js';
import { parseAddresses, type KernelAddress } from '../iproute2/ip-json.js';
import type { EgressAddress } from './egress-address.js';
import { isOurAddress } from './ownership.js';

/** The egress addresses on the uplink that are ours (see ownership.ts). */
export async function readOwnedAddresses(runner: CommandRunner, uplink: string): Promise<KernelAddress[]> {
  const addresses = parseAddresses(await runner.stdout('ip', '-j', 'addr', 'show', 'dev', uplink));
  return addresses.filter((address) => isOurAddress(address, uplink));
}

/**
 * What a restarted agent renews before its first sync: renewing them keeps a restarting gateway's IPs from
 * expiring while its informers list; the first sync then keeps or withdraws them as the table says.
 */
export async function adoptAddresses(runner: CommandRunner, uplink: string): Promise<EgressAddress[]> {
  return (await readOwnedAddresses(runner, uplink)).map((address) => ({
    ip: address.local,
    family: address.family,
    cidr: `${address.local}/${address.prefixLength}`,
    device: address.device,
    label: address.label,
  }));
}
