// Which backend capabilities a policy needs, so the core can refuse (UnsupportedByBackend) what the active
// backend cannot honour instead of letting it half-apply the policy.
//
// Only spec-level needs are derived here. 'sharedAddress' depends on how many pods a policy selects at a
// given moment and 'failover' on the gateway set; neither is a property of the policy itself, so this
// function never returns them (the tracker and the gateway assigner judge those).
import type { EgressPolicy } from '../api/egress-policy.js';
import { ipFamily } from '../net/ip.js';
import { ALL_CAPABILITIES, type ProxierCapability } from './capabilities.js';

/** The capabilities `policy` needs, in ALL_CAPABILITIES order, without duplicates. */
export function requiredCapabilities(policy: EgressPolicy): ProxierCapability[] {
  const needed = new Set<ProxierCapability>();
  if (policy.destinationsExplicit || policy.excludedCIDRs.length > 0) needed.add('destinationCIDRs');
  if (policy.egressIPs.length > 1) needed.add('multipleEgressIPs');
  if (policy.egressIPs.some((ip) => ipFamily(ip) === 6)) needed.add('ipv6');
  if (policy.failurePolicy === 'FailClosed') needed.add('failClosed');
  return ALL_CAPABILITIES.filter((capability) => needed.has(capability));
}

/** The capabilities `policy` needs that `plugin` does not declare; empty when it can be programmed. */
export function missingCapabilities(
  policy: EgressPolicy,
  plugin: { readonly capabilities: readonly ProxierCapability[] },
): ProxierCapability[] {
  return requiredCapabilities(policy).filter((capability) => !plugin.capabilities.includes(capability));
}
