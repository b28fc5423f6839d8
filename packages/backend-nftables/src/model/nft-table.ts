// Our nftables table as plain data: the sets and maps with their elements, and the chains with their rules, in
// nft's own syntax. Rendering prints it; applying writes it in one transaction (whole, or element-wise when only
// elements change). `structure` is everything but the elements: equal structures mean an element-wise change
// can turn one table into the other.
import type { NodeDatapath } from '@egress-proxier/node-datapath';

export interface NftSet {
  name: string;
  /** `set` (keys only) or `map` (key : data). */
  kind: 'set' | 'map';
  /** nft's `type` line, e.g. `ipv4_addr . ipv4_addr : ipv4_addr`. */
  type: string;
  /** Every element has a counter (the set's `counter` statement), read back for the traffic metrics. */
  counter?: true;
  /** Elements as `nft list` prints them (`key` or `key : data`), canonical and sorted; keys never overlap. */
  elements: string[];
}

export interface NftChain {
  name: string;
  /** The base chain's hook line without `policy` (e.g. `type nat hook postrouting priority srcnat - 10`), or none. */
  hook?: string;
  rules: string[];
}

export interface NftTable {
  sets: NftSet[];
  chains: NftChain[];
}

/** Everything a table becomes on a node: the kit's node-level objects (steering, addresses, tunnel) and ours. */
export interface DesiredDatapath extends NodeDatapath {
  nft: NftTable;
}
