// An Egress after validation: normalized, defaults applied, selectors compiled. Everything downstream of
// validation works from this and never looks at raw spec fields again.
import type { FailurePolicy } from './egress-types.js';
import type { Cidr } from '../net/ip.js';
import type { CompiledSelector } from '../selectors/label-selector.js';
import type { LabelSelector } from '../selectors/label-selector-types.js';

export interface EgressPolicy {
  name: string;
  uid: string;
  generation: number;
  /** RFC 3339; older policies win ties. */
  creationTimestamp: string;
  /** Null: every namespace. */
  namespaceSelector: CompiledSelector | null;
  /** Null: every pod of the selected namespaces. */
  podSelector: CompiledSelector | null;
  gatewayNodeSelector: CompiledSelector;
  /** Canonical addresses, in spec order, without duplicates. */
  egressIPs: string[];
  /**
   * Explicit destinations, or the default route of each egress IP family when the spec has none
   * ("everything outside the cluster": cluster CIDRs are excluded by the table in any case).
   */
  destinationCIDRs: Cidr[];
  /** True when the spec set destinationCIDRs; capability checks need to know. */
  destinationsExplicit: boolean;
  excludedCIDRs: Cidr[];
  priority: number;
  failurePolicy: FailurePolicy;
  /** The selectors as written, for cluster-scope backends and status. */
  source: {
    namespaceSelector: LabelSelector | null;
    podSelector: LabelSelector | null;
    gatewayNodeSelector: LabelSelector;
  };
}
