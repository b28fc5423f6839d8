// Deterministic pool names: every agent instance computes the same name for (Egress, IP), so two instances
// racing on a create meet at AlreadyExists and adopt instead of making duplicates.
import { ipFamily, type IPFamily } from '@egress-proxier/core';
import { shortHash } from '../calico/ownership.js';

const MAX_NAME = 253;

/** `egress-<egress name>-<ip with . and : as ->`, shortened with a hash when too long for a name. */
export function poolName(egressName: string, egressIP: string): string {
  const slug = egressIP.toLowerCase().replace(/[.:]/g, '-');
  const name = `egress-${egressName}-${slug}`;
  if (name.length <= MAX_NAME) return name;
  const suffix = `-${shortHash(`${egressName}/${egressIP}`, 10)}-${slug}`;
  const head = `egress-${egressName}`.slice(0, MAX_NAME - suffix.length).replace(/[-.]+$/, '');
  return `${head}${suffix}`;
}

export function hostPrefixLength(family: IPFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

export function poolCidr(egressIP: string): string {
  return `${egressIP}/${hostPrefixLength(ipFamily(egressIP))}`;
}
