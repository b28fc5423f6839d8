// The kernel objects a NodeEgressTable becomes, as plain data. Rendering prints it; applying diffs it against
// the kernel. Both start here so `egress-proxier render` shows exactly what `sync` would program.
import type { IPFamily } from '@egress-proxier/core';
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

/** One gateway's policy route: packets carrying `mark` leave via `via`. */
export interface SteeringRoute {
  family: IPFamily;
  gatewayNode: string;
  mark: number;
  mask: number;
  table: number;
  priority: number;
  via: string;
  device: string;
  /**
   * VXLAN only (IPv4): the gateway's node IP, which the tunnel encapsulates to. The encapsulated packet keeps
   * the inner packet's mark, so without a `throw` route for this address in the table it would be routed back
   * into the tunnel (the kernel drops it as a "circular route" and counts a TX collision on the device).
   */
  tunnelEndpoint: string | undefined;
}

export interface EgressAddress {
  ip: string;
  family: IPFamily;
  /** `ip/32` or `ip/128`. */
  cidr: string;
  device: string;
  /** IPv4 ownership label, see addressLabel. */
  label: string | undefined;
}

export interface VxlanSpec {
  device: string;
  id: number;
  port: number;
  mtu: number;
  uplink: string;
  /** Gateway node IPs (IPv4) this node floods to; the gateway answers ARP for its node IP over the tunnel. */
  remotes: string[];
}

export interface DesiredDatapath {
  ipsets: IpsetSpec[];
  rulesets: FamilyRuleset[];
  routes: SteeringRoute[];
  addresses: EgressAddress[];
  vxlan: VxlanSpec | undefined;
}
