/**
 * What a backend can honour. The core refuses (Accepted=False, reason `UnsupportedByBackend`) a policy that
 * needs a capability the active backend lacks, instead of letting the backend half-apply it.
 */
export type ProxierCapability =
  /** Several pods leave with one egress IP (NAT). Without it, each pod needs an address of its own. */
  | 'sharedAddress'
  /** `destinationCIDRs` narrower than "everything outside the cluster", and `excludedCIDRs`. */
  | 'destinationCIDRs'
  /** More than one entry in `egressIPs`. */
  | 'multipleEgressIPs'
  /** IPv6 egress IPs and pod addresses. */
  | 'ipv6'
  /** Egress IPs move between gateway nodes when one fails. */
  | 'failover'
  /** `failurePolicy: FailClosed` is enforced by dropping traffic when no gateway is live. */
  | 'failClosed';

export const ALL_CAPABILITIES: readonly ProxierCapability[] = [
  'sharedAddress',
  'destinationCIDRs',
  'multipleEgressIPs',
  'ipv6',
  'failover',
  'failClosed',
];
