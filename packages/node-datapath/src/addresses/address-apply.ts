// Adds, renews and withdraws egress addresses, always with a kernel lifetime: an address the agent stops
// renewing (a crash, a lost lease) expires by itself. New addresses are announced to the neighbours.
import type { CommandRunner } from '../exec/command-runner.js';
import { addressDelete, addressReplace } from '../iproute2/address-commands.js';
import type { KernelAddress } from '../iproute2/ip-json.js';
import type { Announcer } from '../announce/announcer.js';
import type { EgressAddress } from './egress-address.js';

/** New addresses in one `ip -batch`, announced in the background; returns the execs made. */
export async function addAddresses(
  runner: CommandRunner,
  announcer: Announcer,
  lifetimeSeconds: number,
  desired: readonly EgressAddress[],
  held: readonly KernelAddress[],
): Promise<number> {
  const added = desired.filter(
    (address) => !held.some((kernel) => kernel.local === address.ip && kernel.device === address.device),
  );
  // `valid_lft 0` would add an address already expired, or one outliving the lease it rests on elsewhere.
  if (added.length > 0 && !(lifetimeSeconds >= 1))
    throw new Error(
      `not adding ${added.map((address) => address.ip).join(', ')}: no address lifetime left in this node's lease`,
    );
  const execs = await runner.runIpBatch(added.map((address) => addressReplace(address, lifetimeSeconds)));
  for (const address of added) announcer.announce(address);
  return execs;
}

/** Addresses of ours the kernel holds that are no longer desired; returns the execs made. */
export function removeAddresses(
  runner: CommandRunner,
  desired: readonly EgressAddress[],
  held: readonly KernelAddress[],
): Promise<number> {
  const stale = held.filter(
    (kernel) => !desired.some((address) => address.ip === kernel.local && address.device === kernel.device),
  );
  return runner.runIpBatch(
    stale.map((kernel) => addressDelete(`${kernel.local}/${kernel.prefixLength}`, kernel.device)),
  );
}

/** A heartbeat: every held address gets `lifetimeSeconds` from now, in one exec. */
export function renewAddresses(
  runner: CommandRunner,
  addresses: readonly EgressAddress[],
  lifetimeSeconds: number,
): Promise<number> {
  return runner.runIpBatch(addresses.map((address) => addressReplace(address, lifetimeSeconds)));
}
