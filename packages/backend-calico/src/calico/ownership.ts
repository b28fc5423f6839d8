// How the backend marks what it writes, so it can find, update and garbage-collect exactly that and nothing
// else. Pools carry labels (selectable on list); namespaces carry a marker annotation beside the Calico one.
import { createHash } from 'node:crypto';

/** On every pool we create: the standard managed-by label. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'egress-proxier';
export const MANAGED_POOLS_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

/** The Egress a pool belongs to (a label value: the name, or a hash when the name cannot be one). */
export const OWNER_LABEL = 'egress.proxier.io/owner';
/** The full Egress name, kept as an annotation because label values stop at 63 characters. */
export const OWNER_NAME_ANNOTATION = 'egress.proxier.io/owner-name';

/** On a namespace: which Egress set the Calico pool annotations there (we never remove values we did not set). */
export const POOLS_OWNER_ANNOTATION = 'egress.proxier.io/pools-owner';

/** Calico's per-namespace and per-pod pool request annotations (value: JSON list of pool names or CIDRs). */
export const IPV4_POOLS_ANNOTATION = 'cni.projectcalico.org/ipv4pools';
export const IPV6_POOLS_ANNOTATION = 'cni.projectcalico.org/ipv6pools';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The owner label value for an Egress name: the name itself when it is a valid label value. */
export function ownerLabelValue(egressName: string): string {
  if (egressName.length <= 63 && LABEL_VALUE.test(egressName)) return egressName;
  return `h-${shortHash(egressName, 24)}`;
}

export function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
