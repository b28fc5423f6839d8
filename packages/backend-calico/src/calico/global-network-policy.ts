// The projectcalico.org/v3 GlobalNetworkPolicy and Tier fields this backend writes to enforce FailClosed
// (schema: Calico's globalnetworkpolicies.projectcalico.org CRD).

import type { ObjectMetadata } from './object-metadata.js';

export type RuleAction = 'Allow' | 'Deny' | 'Log' | 'Pass';

export interface EntityRule {
  nets?: string[];
  notNets?: string[];
  [field: string]: unknown;
}

export interface PolicyRule {
  action: RuleAction;
  ipVersion?: 4 | 6;
  source?: EntityRule;
  destination?: EntityRule;
  [field: string]: unknown;
}

export interface GlobalNetworkPolicySpec {
  tier?: string;
  order?: number;
  selector?: string;
  types?: ('Ingress' | 'Egress')[];
  egress?: PolicyRule[];
  [field: string]: unknown;
}

export interface GlobalNetworkPolicy {
  apiVersion: string;
  kind: 'GlobalNetworkPolicy';
  metadata: ObjectMetadata;
  spec: GlobalNetworkPolicySpec;
}

export interface TierSpec {
  order?: number;
  defaultAction?: 'Deny' | 'Pass';
  [field: string]: unknown;
}

export interface Tier {
  apiVersion: string;
  kind: 'Tier';
  metadata: ObjectMetadata;
  spec: TierSpec;
}

export const GLOBAL_NETWORK_POLICY_PLURAL = 'globalnetworkpolicies';
export const TIER_PLURAL = 'tiers';

/** Anything with a name and an object spec: what a list may return that we can reason about. */
export function hasNameAndSpec(value: unknown): value is { metadata: ObjectMetadata; spec: object } {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { metadata?: { name?: unknown }; spec?: unknown };
  return (
    typeof candidate.metadata?.name === 'string' &&
    typeof candidate.spec === 'object' &&
    candidate.spec !== null
  );
}
