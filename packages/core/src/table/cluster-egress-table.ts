// The cluster-wide view a cluster-scope backend (e.g. Calico IP pools) works from: every accepted policy
// with what it selects. Sorted, like NodeEgressTable, so equal states compare equal.
import type { FailurePolicy } from '../api/egress-types.js';
import type { LabelSelector } from '../selectors/label-selector-types.js';

export interface ClusterEgressTable {
  /** Accepted policies only, sorted by name. */
  policies: ClusterPolicyEntry[];
  /** Destinations never SNATed: pod and service CIDRs, node pod CIDRs, node IPs. Sorted CIDR text. */
  clusterCIDRs: string[];
}

export interface ClusterPolicyEntry {
  name: string;
  uid: string;
  generation: number;
  egressIPs: string[];
  /** Null: no constraint on that axis. */
  namespaceSelector: LabelSelector | null;
  podSelector: LabelSelector | null;
  /** Explicit destinationCIDRs and excludedCIDRs as written; both empty means "everything outside". */
  destinationCIDRs: string[];
  excludedCIDRs: string[];
  /** FailClosed: the backend must keep selected pods from leaving with any other source address. */
  failurePolicy: FailurePolicy;
  /** Namespaces the namespace selector matches, sorted. */
  namespaces: string[];
  /** Selected eligible pods, sorted by namespace/name. */
  pods: ClusterPolicyPod[];
}

export interface ClusterPolicyPod {
  namespace: string;
  name: string;
  nodeName: string;
  podIPs: string[];
}
