// Unsolicited neighbour advertisements (RFC 4861 §7.2.6) for an IPv6 egress IP: the IPv6 counterpart of
// gratuitous ARP. Sent with `ndptool` (Debian's libndp-tools; Debian's ndisc6 has no sender of NAs), whose
// unsolicited NA goes to all-nodes with the override flag and our MAC as target link-layer address, so a
// neighbour's existing entry for the address switches to this node at once (proven in
// test/kernel-announce.test.ts). A neighbour without an entry ignores it, as RFC 4861 says, and resolves the
// address when it first needs it.
import type { Clock, Exec } from '@egress-proxier/core';

/** RFC 4861 MAX_NEIGHBOR_ADVERTISEMENT is 3, spaced by RETRANS_TIMER (1 s). */
const SPACING_MS = 1000;

export class UnsolicitedNeighbourAdvertisement {
  constructor(
    private readonly exec: Exec,
    private readonly clock: Clock,
  ) {}

  /** Sends `count` advertisements of `ip` on `device`, one a second; resolves when the last one is sent. */
  async send(ip: string, device: string, count: number): Promise<void> {
    for (let sent = 0; sent < count; sent++) {
      if (sent > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, SPACING_MS));
      await this.exec.run({
        command: 'ndptool',
        args: ['-t', 'na', '-U', '-i', device, '-T', ip, 'send'],
        timeoutMs: 5000,
      });
    }
  }
}
