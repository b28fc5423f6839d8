// Gratuitous ARP with arping: tells the router and neighbours an IPv4 egress IP's new MAC at once after a
// failover. Both arpings Debian ships are supported.
import type { Exec } from '@egress-proxier/core';

type ArpingFlavour = 'habets' | 'iputils';

export class GratuitousArp {
  private flavour: Promise<ArpingFlavour> | undefined;

  constructor(private readonly exec: Exec) {}

  /** Sends `count` unsolicited ARPs, one a second (arping's pace); resolves when the burst is over. */
  async send(ip: string, device: string, count: number): Promise<void> {
    const flavour = await (this.flavour ??= this.detect());
    const times = String(count);
    // Thomas Habets' arping needs the source given (-S) and names the device with -i; iputils' uses -I.
    const args =
      flavour === 'habets'
        ? ['-U', '-c', times, '-i', device, '-S', ip, ip]
        : ['-U', '-c', times, '-I', device, ip];
    // Unsolicited ARP gets no replies, which both arpings report with exit code 1.
    await this.exec.run({ command: 'arping', args, allowedExitCodes: [1], timeoutMs: (count + 5) * 1000 });
  }

  private async detect(): Promise<ArpingFlavour> {
    const help = await this.exec.run({ command: 'arping', args: ['--help'], allowedExitCodes: [1, 2, 64] });
    return /Habets|-S <host\/ip>/.test(help.stdout + help.stderr) ? 'habets' : 'iputils';
  }
}
