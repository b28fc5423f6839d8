// Gratuitous ARP for a newly added egress IP, so the router and neighbours update their caches at once after
// a failover. arping sends one packet per second, so the burst runs in the background: sync never waits.
import type { Exec } from '@egress-proxier/core';
import type { Logger } from 'pino';

type ArpingFlavour = 'habets' | 'iputils';

export class GratuitousArp {
  private flavour: Promise<ArpingFlavour> | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly exec: Exec,
    private readonly logger: Logger,
    private readonly count: number,
  ) {}

  announce(ip: string, device: string): void {
    if (this.count === 0) return;
    const burst = this.send(ip, device).catch((error: unknown) => {
      this.logger.warn(
        { err: error, ip, device },
        'gratuitous ARP failed; neighbours learn the egress IP later',
      );
    });
    this.inFlight.add(burst);
    void burst.finally(() => this.inFlight.delete(burst));
  }

  /** Waits for announcements still running (tests, cleanup). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async send(ip: string, device: string): Promise<void> {
    const flavour = await (this.flavour ??= this.detect());
    const count = String(this.count);
    // Thomas Habets' arping needs the source given (-S) and names the device with -i; iputils' uses -I.
    const args =
      flavour === 'habets'
        ? ['-U', '-c', count, '-i', device, '-S', ip, ip]
        : ['-U', '-c', count, '-I', device, ip];
    // Unsolicited ARP gets no replies, which both arpings report with exit code 1.
    await this.exec.run({
      command: 'arping',
      args,
      allowedExitCodes: [1],
      timeoutMs: (this.count + 5) * 1000,
    });
  }

  private async detect(): Promise<ArpingFlavour> {
    const help = await this.exec.run({ command: 'arping', args: ['--help'], allowedExitCodes: [1, 2, 64] });
    return /Habets|-S <host\/ip>/.test(help.stdout + help.stderr) ? 'habets' : 'iputils';
  }
}
