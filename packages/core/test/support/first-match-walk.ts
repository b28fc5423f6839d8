// The reference for the longest-prefix compiler: NodeEgressTable's own contract read literally. Cluster
// destinations first, then the rules in order; the first rule whose source set holds the source, whose
// destination holds the destination and none of whose exclusions does, decides. It shares no code with the
// compiler: addresses become strings of bits, and "contains" is "starts with".
import ipaddr from 'ipaddr.js';
import type { NodeEgressTable, SourceSet } from '../../src/table/node-egress-table.js';
import type { LongestPrefixVerdict } from '../../src/table/longest-prefix/longest-prefix-table.js';

export class FirstMatchWalk {
  private readonly bitsCache = new Map<string, string>();
  private readonly networkBitsCache = new Map<string, string>();
  private readonly sets: Map<string, SourceSet>;

  constructor(private readonly table: NodeEgressTable) {
    this.sets = new Map(table.sourceSets.map((set) => [set.id, set]));
  }

  decide(source: string, destination: string): LongestPrefixVerdict {
    const src = this.bits(source);
    const dst = this.bits(destination);
    if (src.length !== dst.length) return { kind: 'noRule' };
    if (this.table.clusterCIDRs.some((cidr) => this.inCidr(dst, cidr))) return { kind: 'noRule' };
    for (const rule of this.table.rules) {
      const set = this.sets.get(rule.sourceSet);
      if (!set?.addresses.some((address) => this.bits(address) === src)) continue;
      if (!this.inCidr(dst, rule.destination)) continue;
      if (rule.excludedCIDRs.some((cidr) => this.inCidr(dst, cidr))) continue;
      return { kind: 'rule', policy: rule.policy, sourceSet: rule.sourceSet, action: rule.action };
    }
    return { kind: 'noRule' };
  }

  private inCidr(addressBits: string, cidr: string): boolean {
    let networkBits = this.networkBitsCache.get(cidr);
    if (networkBits === undefined) {
      const [network = '', length = ''] = cidr.split('/');
      networkBits = this.bits(network).slice(0, Number(length));
      this.networkBitsCache.set(cidr, networkBits);
    }
    const sameFamily = cidr.includes(':') === (addressBits.length === 128);
    return sameFamily && addressBits.startsWith(networkBits);
  }

  /** "0101…", 32 characters for IPv4 and 128 for IPv6. */
  private bits(address: string): string {
    let bits = this.bitsCache.get(address);
    if (bits === undefined) {
      bits = ipaddr
        .parse(address)
        .toByteArray()
        .map((byte) => byte.toString(2).padStart(8, '0'))
        .join('');
      this.bitsCache.set(address, bits);
    }
    return bits;
  }
}
