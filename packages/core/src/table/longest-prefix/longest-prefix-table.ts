// The node's egress table in longest-prefix form: what an LPM trie, an nftables interval map or an IPVS
// classifier needs, with precedence, exclusions and cluster destinations already decided by the core.
//
// A lookup of a packet (source S, destination D), both addresses of one family:
//   1. D inside one of `clusterDestinations` → no rule applies;
//   2. otherwise, of the entries whose `source` is S and whose `destination` contains D, the one with the
//      longest prefix gives the verdict (there is at most one entry per (source, destination prefix));
//   3. no such entry → no rule applies.
// The result equals the first-match walk of the NodeEgressTable it was compiled from. Because no entry lies
// inside a cluster destination, step 1 may equally be folded into step 2: a longest-prefix match over the
// source's entries plus the cluster destinations (as source-independent `noRule` entries) gives the same
// answer. `lookupLongestPrefix` is this definition in code.
import type { IPFamily } from '../../net/ip.js';
import type { EgressAction } from '../node-egress-table.js';

export interface LongestPrefixTable {
  node: string;
  /**
   * Destinations no rule applies to, for every source: the table's cluster CIDRs as the fewest prefixes
   * with the same union (contained ones dropped, adjacent halves merged). Kept apart from the entries
   * because repeating them per source would multiply a 5,000-node cluster's node IPs by the pod count.
   * Sorted by family, then network address (numerically), then prefix length.
   */
  clusterDestinations: string[];
  /**
   * Sorted by family, source address, destination network address (numerically), then prefix length,
   * so a source's entries are contiguous and each prefix comes before the prefixes inside it.
   */
  entries: LongestPrefixEntry[];
}

export interface LongestPrefixEntry {
  family: IPFamily;
  /** A pod IP (the key's /32 or /128), canonical text. */
  source: string;
  /** Destination prefix, canonical CIDR text. */
  destination: string;
  verdict: LongestPrefixVerdict;
}

export type LongestPrefixVerdict =
  /** The first rule the walk would match for these destinations, named by policy and source set. */
  | { kind: 'rule'; policy: string; sourceSet: string; action: EgressAction }
  /**
   * No rule applies: the packet leaves as if no policy selected it. As an entry it only appears inside a
   * shorter entry of the same source, to carve out an exclusion that no later rule covers.
   */
  | { kind: 'noRule' };
