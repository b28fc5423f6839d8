import type { LabelSelector } from '../selectors/label-selector-types.js';

export const EGRESS_GROUP = 'egress.proxier.io';
export const EGRESS_VERSION = 'v1alpha1';
export const EGRESS_API_VERSION = `${EGRESS_GROUP}/${EGRESS_VERSION}`;
export const EGRESS_KIND = 'Egress';
export const EGRESS_PLURAL = 'egresses';

/** Label that marks gateway-eligible nodes when a policy does not say otherwise. */
export const DEFAULT_GATEWAY_LABEL = 'egress.proxier.io/gateway';
export const DEFAULT_GATEWAY_NODE_SELECTOR: LabelSelector = {
  matchLabels: { [DEFAULT_GATEWAY_LABEL]: 'true' },
};

export const MAX_EGRESS_IPS = 16;

export type FailurePolicy = 'FailClosed' | 'FailOpen';
export const FAILURE_POLICIES: readonly FailurePolicy[] = ['FailClosed', 'FailOpen'];

export interface EgressSpec {
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
  egressIPs: string[];
  destinationCIDRs?: string[];
  excludedCIDRs?: string[];
  gatewayNodeSelector?: LabelSelector;
  priority?: number;
  failurePolicy?: FailurePolicy;
}

export type ConditionType = 'Accepted' | 'Ready' | 'Conflicted';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface EgressCondition {
  type: ConditionType | string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface EgressAssignment {
  egressIP: string;
  /** Absent when no live gateway node is eligible for this IP. */
  node?: string;
}

export interface EgressStatus {
  observedGeneration?: number;
  selectedPods?: number;
  assignments?: EgressAssignment[];
  conditions?: EgressCondition[];
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Egress {
  apiVersion: typeof EGRESS_API_VERSION;
  kind: typeof EGRESS_KIND;
  metadata: ObjectMeta;
  spec: EgressSpec;
  status?: EgressStatus;
}
