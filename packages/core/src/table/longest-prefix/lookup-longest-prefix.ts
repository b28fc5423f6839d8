// The lookup rule of longest-prefix-table.ts, written as plainly as possible: it is the definition a
// datapath must reproduce, and what render, debugging and tests use. It scans, so it is not a datapath.
import ipaddr from 'ipaddr.js';
import { parseCidr } from '../../net/ip.js';
import type { LongestPrefixEntry, LongestPrefixTable, LongestPrefixVerdict } from './longest-prefix-table.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class LongestPrefixLookup {
  private readonly cluster: Range[];
  private readonly bySource = new Map<string, { entry: LongestPrefixEntry; range: Range }[]>();

  constructor(table: LongestPrefixTable) {
    this.cluster = table.clusterDestinations.map(rangeOf);
    for (const entry of table.entries) {
      const list = this.bySource.get(entry.source) ?? [];
      list.push({ entry, range: rangeOf(entry.destination) });
      this.bySource.set(entry.source, list);
    }
  }

  /** Addresses in canonical text, as tables hold them (anything else throws rather than guessing). */
  lookup(source: string, destination: string): LongestPrefixVerdict {
    const src = canonicalAddress(source);
    const dst = canonicalAddress(destination);
    const within = ([network, length]: Range) => network.kind() === dst.kind() && dst.match(network, length);
    if (src.kind() !== dst.kind()) return { kind: 'noRule' };
    if (this.cluster.some(within)) return { kind: 'noRule' };
    let best: { entry: LongestPrefixEntry; range: Range } | undefined;
    for (const candidate of this.bySource.get(source) ?? []) {
      if (!within(candidate.range)) continue;
      if (best === undefined || candidate.range[1] > best.range[1]) best = candidate;
    }
    return best?.entry.verdict ?? { kind: 'noRule' };
  }
}

/** One lookup; build a `LongestPrefixLookup` to ask many. */
export function lookupLongestPrefix(
  table: LongestPrefixTable,
  source: string,
  destination: string,
): LongestPrefixVerdict {
  return new LongestPrefixLookup(table).lookup(source, destination);
}

function rangeOf(text: string): Range {
  const parsed = parseCidr(text);
  if ('error' in parsed)
    throw new Error(`longest-prefix table holds an invalid CIDR ${text}: ${parsed.error}`);
  return [ipaddr.parse(parsed.cidr.network), parsed.cidr.prefixLength];
}

/** Canonical text is what ipaddr.js prints back (`canonicalIP` in net/ip.ts rests on the same). */
function canonicalAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const address = ipaddr.isValid(text) ? ipaddr.parse(text) : null;
  if (address === null || address.toString() !== text)
    throw new Error(`${text} is not a canonical IP address`);
  return address;
}
