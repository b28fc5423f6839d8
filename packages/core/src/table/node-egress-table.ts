// What one node must do, as plain sorted data. Equal cluster states give byte-identical tables, so a
// backend (or the runner) can skip a sync by comparing digests.
import type { FailurePolicy } from '../api/egress-types.js';
import type { IPFamily } from '../net/ip.js';

export interface NodeEgressTable {
  node: string;
  /** Destinations never SNATed or steered: pod CIDRs, service CIDRs, node IPs. Sorted CIDR text. */
  clusterCIDRs: string[];
  /** Egress IPs this node must hold on its uplink and announce. Sorted by IP. */
  hostedEgressIPs: HostedEgressIP[];
  /** Source address sets the rules refer to by `id`. Sorted by id. */
  sourceSets: SourceSet[];
  /**
   * Ordered by precedence: the first rule whose source set contains the packet's source, whose
   * destination contains its destination and whose exclusions do not, decides the packet. Longer
   * destination prefixes come first, then higher priority, older policies, names.
   */
  rules: EgressRule[];
}

export interface HostedEgressIP {
  ip: string;
  family: IPFamily;
  /** Policies that use this IP, sorted. */
  policies: string[];
}

export interface SourceSet {
  /** Stable identifier, `policy/egressIP` or `policy/unassigned/v4|v6`. Backends derive kernel names from it. */
  id: string;
  policy: string;
  family: IPFamily;
  /** Pod IPs, sorted. On the gateway of `egressIP` this holds every pod using it, elsewhere local pods only. */
  addresses: string[];
}

export type EgressAction =
  /** This node hosts the egress IP: rewrite the source to it. */
  | { kind: 'snat'; egressIP: string }
  /** Another node hosts the egress IP: mark and route the packet there, unmasqueraded. */
  | { kind: 'steer'; egressIP: string; gateway: GatewayHop }
  /** `FailClosed` policy with no live gateway: drop. */
  | { kind: 'drop' }
  /** `FailOpen` policy with no live gateway: stop evaluating and leave as if no policy applied. */
  | { kind: 'bypass' };

export type EgressActionKind = EgressAction['kind'];

export interface GatewayHop {
  node: string;
  /** The gateway node's InternalIP of the rule's family: the steering next hop. */
  nodeIP: string;
}

export interface EgressRule {
  policy: string;
  family: IPFamily;
  sourceSet: string;
  destination: string;
  /** The policy's excludedCIDRs of this family, sorted; matching packets fall through to later rules. */
  excludedCIDRs: string[];
  failurePolicy: FailurePolicy;
  action: EgressAction;
}

export function emptyNodeEgressTable(node: string): NodeEgressTable {
  return { node, clusterCIDRs: [], hostedEgressIPs: [], sourceSets: [], rules: [] };
}
