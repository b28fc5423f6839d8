// Announces newly added egress addresses to the neighbours: gratuitous ARP for IPv4, unsolicited neighbour
// advertisements for IPv6. A burst takes seconds (one packet a second), so it runs in the background: a sync
// never waits for it, and a failed announcement is a warning (neighbours learn the address later), not a
// failed sync.
import type { Clock, Exec, IPFamily } from '@egress-proxier/core';
import type { Logger } from 'pino';
import { GratuitousArp } from './gratuitous-arp.js';
import { UnsolicitedNeighbourAdvertisement } from './unsolicited-na.js';

export interface Announcer {
  announce(address: { ip: string; family: IPFamily; device: string }): void;
  /** Resolves when the announcements still running have finished (tests, cleanup). */
  settled(): Promise<void>;
}

export class NeighbourAnnouncer implements Announcer {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly arp: GratuitousArp;
  private readonly na: UnsolicitedNeighbourAdvertisement;

  constructor(
    exec: Exec,
    private readonly logger: Logger,
    clock: Clock,
    /** Packets per announcement; 0 turns announcements off. */
    private readonly count: number,
  ) {
    this.arp = new GratuitousArp(exec);
    this.na = new UnsolicitedNeighbourAdvertisement(exec, clock);
  }

  announce({ ip, family, device }: { ip: string; family: IPFamily; device: string }): void {
    if (this.count === 0) return;
    const sender = family === 4 ? this.arp : this.na;
    const burst = sender.send(ip, device, this.count).catch((error: unknown) => {
      this.logger.warn(
        { err: error, ip, device },
        `${family === 4 ? 'gratuitous ARP' : 'unsolicited neighbour advertisement'} failed; neighbours learn the egress IP later`,
      );
    });
    this.inFlight.add(burst);
    void burst.finally(() => this.inFlight.delete(burst));
  }

  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
