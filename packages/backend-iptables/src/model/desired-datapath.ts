// The kernel objects a NodeEgressTable becomes, as plain data. Rendering prints it; applying diffs it against
// the kernel. Both start here so `egress-proxier render` shows exactly what `sync` would program.
import type { IPFamily } from '@egress-proxier/core';
import type { NodeDatapath } from '@egress-proxier/node-datapath';
import type { IptablesTable } from '../names.js';

export type IpsetType = 'hash:ip' | 'hash:net';

export interface IpsetSpec {
  name: string;
  type: IpsetType;
  family: IPFamily;
  /** Canonical entries, sorted: addresses for hash:ip, CIDRs (with prefix length) for hash:net. */
  entries: string[];
}

export interface ChainBody {
  table: IptablesTable;
  chain: string;
  /** Rule arguments after `-A <chain>`, in order. */
  rules: string[];
}

/** A rule in a built-in chain that jumps to one of ours. */
export interface JumpRule {
  table: IptablesTable;
  builtin: string;
  /** The rule arguments, also how iptables-save prints it (after `-A <builtin>`). */
  spec: string;
  target: string;
  /** True when the jump must be the built-in chain's first rule (nat POSTROUTING, before any MASQUERADE). */
  mustBeFirst: boolean;
}

/** One rule of the table as this node's chains render it: what a sync needs to compare it with another. */
export interface ChainRule {
  /**
   * The rule's whole content (policy, family, sets, destination, exclusions, failure policy, action) and, for a
   * steer rule, its gateway's mark: rules with equal keys put equal lines in every chain.
   */
  key: string;
  /** The packet match its lines share (source set, destination, not its exclusions), without comment. */
  match: string;
  /** The source set's kernel name. */
  sourceSet: string;
  /** ipsets the match names. */
  sets: string[];
  description: string;
}

export interface FamilyRuleset {
  family: IPFamily;
  chains: ChainBody[];
  jumps: JumpRule[];
  /** The table's rules of this family, in the table's order. */
  rules: ChainRule[];
  /** The cluster-destination RETURN that opens our chains (none when the family has no cluster CIDRs). */
  clusterReturn: string[];
}

/** Everything a table becomes on a node: the node-level objects (steering, addresses, tunnel) and ours. */
export interface DesiredDatapath extends NodeDatapath {
  ipsets: IpsetSpec[];
  rulesets: FamilyRuleset[];
}
