// What `egress-proxier trace` answers about one packet (pod → destination), as data: the JSON output is this
// object, so its shape is part of the CLI's contract (docs/operating.md documents it; `version` changes when
// a field changes meaning or goes away).
import type { FailurePolicy } from '../api/egress-types.js';
import type { IPFamily } from '../net/ip.js';
import type { RejectionReason } from '../model/policy-acceptance.js';
import type { GatewayHop } from '../table/node-egress-table.js';

export const TRACE_RESULT_VERSION = 1;

export interface TraceResult {
  version: typeof TRACE_RESULT_VERSION;
  pod: {
    namespace: string;
    name: string;
    node: string;
    /** The pod address of the destination's family: the packet's source. */
    ip: string;
    hostNetwork: boolean;
  };
  destination: {
    ip: string;
    /** Informational: Egress policies choose by destination address only. */
    port: number | null;
    family: IPFamily;
  };
  /** The pod's node: the table the decision comes from, and the egress IPs it holds itself. */
  node: { name: string; hostedEgressIPs: string[] };
  decision: TraceDecision;
  leavesAs: LeavesAs;
  /** Every accepted policy selecting the pod, in the order the node's table tries them. */
  candidates: TraceCandidate[];
  /** Egress objects the core refused (they select nothing), in name order: one may be the policy you expected. */
  refused: { policy: string; reason: RejectionReason; message: string }[];
}

/** What the pod's node does with the packet: the datapath's verdict, from the node's longest-prefix table. */
export type TraceDecision =
  /** The pod's node holds the egress IP: it rewrites the source itself. */
  | { action: 'snat'; policy: string; egressIP: string }
  /** Another node holds the egress IP: marked and routed there unmasqueraded; that gateway SNATs. */
  | { action: 'steer'; policy: string; egressIP: string; gateway: GatewayHop }
  /** `FailClosed` and no live gateway for the policy's egress IPs of this family: dropped on the pod's node. */
  | { action: 'drop'; policy: string; egressIPs: HeldEgressIP[] }
  /** `FailOpen` and no live gateway: the policy stands aside and the packet leaves as if none applied. */
  | { action: 'bypass'; policy: string; egressIPs: HeldEgressIP[] }
  /** No policy applies: the packet is left to the CNI. */
  | { action: 'none'; reason: NoPolicyReason };

/** An egress IP of the deciding policy and the gateway it has (null: none is live and eligible). */
export interface HeldEgressIP {
  ip: string;
  gateway: string | null;
}

export type NoPolicyReason =
  /** Inside a pod CIDR, service CIDR or node IP: cluster traffic is never ours. */
  | { kind: 'clusterDestination'; cidr: string }
  /** A hostNetwork pod sends from the node's own stack, which egress-proxier never touches. */
  | { kind: 'hostNetwork' }
  /** No accepted Egress selects the pod. */
  | { kind: 'notSelected' }
  /** Policies select the pod, but none of their destinationCIDRs contains the destination. */
  | { kind: 'notCovered' }
  /** Destinations cover it, but each such policy excludes it (`excludedCIDRs`). */
  | { kind: 'excluded'; by: { policy: string; cidr: string }[] };

/** The address the outside world sees. */
export type LeavesAs =
  | { kind: 'egressIP'; address: string; gatewayNode: string }
  /** Masqueraded by the CNI to the node's address; null when the node has no InternalIP of the family. */
  | { kind: 'nodeAddress'; address: string | null; node: string }
  /** A cluster destination: delivered with the pod's own address. */
  | { kind: 'podAddress'; address: string }
  | { kind: 'dropped' };

export interface TraceCandidate {
  policy: string;
  priority: number;
  creationTimestamp: string;
  failurePolicy: FailurePolicy;
  /** The longest of the policy's destinationCIDRs containing the destination; null when none does. */
  matchedDestination: string | null;
  outcome: CandidateOutcome;
}

/** The precedence key that decided between two policies matching the same packet (DESIGN.md section 2). */
export type PrecedenceKey = 'prefixLength' | 'priority' | 'creationTimestamp' | 'name';

export type CandidateOutcome =
  | { kind: 'decides' }
  /**
   * Matches, but a policy earlier in the table takes the packet. `conflicted`: both matched with the same
   * prefix, a real tie, which sets `Conflicted` on this policy's status.
   */
  | { kind: 'outranked'; by: string; on: PrecedenceKey; conflicted: boolean }
  | { kind: 'excluded'; cidr: string }
  | { kind: 'destinationNotCovered' }
  /** The policy has no egress IP of the destination's family, so it has no rule for this packet. */
  | { kind: 'noEgressIPOfFamily' }
  /** Would match, but cluster destinations are decided before any policy. */
  | { kind: 'clusterDestination' };
