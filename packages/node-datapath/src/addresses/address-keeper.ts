// What every node backend does for its egress addresses besides writing them: the lifetime a sync gives them
// (the lease's while the agent fences, else the last heartbeat's, else the option), heartbeats that renew them
// (before this process's first sync, what a previous process left: see adoptAddresses), and the background
// announcements new ones trigger.
import type { ProxierContext } from '@egress-proxier/core';
import { NeighbourAnnouncer } from '../announce/announcer.js';
import type { CommandRunner } from '../exec/command-runner.js';
import { renewAddresses } from './address-apply.js';
import type { EgressAddress } from './egress-address.js';
import { adoptAddresses } from './owned-addresses.js';

export class EgressAddressKeeper {
  readonly announcer: NeighbourAnnouncer;
  private lifetimeSeconds: number;

  constructor(
    private readonly context: ProxierContext,
    options: { addressLifetimeSeconds: number; announceCount: number },
  ) {
    this.lifetimeSeconds = options.addressLifetimeSeconds;
    this.announcer = new NeighbourAnnouncer(
      context.exec,
      context.logger,
      context.clock,
      options.announceCount,
    );
  }

  /** The lifetime a sync gives the addresses it writes now. */
  lifetime(): number {
    return this.context.addressLifetime?.() ?? this.lifetimeSeconds;
  }

  /** Renews `written` (the last sync's addresses), or what is on the uplink before this process's first sync. */
  async heartbeat(
    runner: CommandRunner,
    lifetimeSeconds: number,
    written: readonly EgressAddress[] | undefined,
    uplink: () => Promise<string>,
  ): Promise<void> {
    this.lifetimeSeconds = lifetimeSeconds;
    const addresses = written ?? (await adoptAddresses(runner, await uplink()));
    await renewAddresses(runner, addresses, lifetimeSeconds);
  }

  /** Resolves when background announcements (gratuitous ARP, neighbour advertisements) have finished. */
  settled(): Promise<void> {
    return this.announcer.settled();
  }
}
