// A set of CIDRs answering "does any of them contain this address?" in time proportional to the number
// of distinct prefix lengths (a handful), not the number of CIDRs (one per node in a 5,000-node cluster).
import { cidrContainsCidr, ipFamily, networkAddress, type Cidr } from './ip.js';

export class CidrSet {
  /** family → prefix length → network addresses. */
  private readonly networks = new Map<number, Map<number, Set<string>>>();
  private readonly all: Cidr[] = [];

  constructor(cidrs: Iterable<Cidr> = []) {
    for (const cidr of cidrs) this.add(cidr);
  }

  add(cidr: Cidr): void {
    let byLength = this.networks.get(cidr.family);
    if (!byLength) this.networks.set(cidr.family, (byLength = new Map()));
    let set = byLength.get(cidr.prefixLength);
    if (!set) byLength.set(cidr.prefixLength, (set = new Set()));
    if (!set.has(cidr.network)) {
      set.add(cidr.network);
      this.all.push(cidr);
    }
  }

  /** The first CIDR (by prefix length, shortest first) that contains `ip`, or null. */
  containing(ip: string): Cidr | null {
    const family = ipFamily(ip);
    const byLength = this.networks.get(family);
    if (!byLength) return null;
    for (const length of [...byLength.keys()].sort((a, b) => a - b)) {
      const network = networkAddress(ip, length);
      if (byLength.get(length)?.has(network))
        return { family, network, prefixLength: length, text: `${network}/${length}` };
    }
    return null;
  }

  /** True when one of the CIDRs covers `cidr` entirely. */
  covers(cidr: Cidr): boolean {
    return this.all.some((member) => cidrContainsCidr(member, cidr));
  }

  values(): readonly Cidr[] {
    return this.all;
  }
}
