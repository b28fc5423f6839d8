// The few fields of Kubernetes objects the core needs. The Kubernetes glue converts full objects into
// these so that 150,000 pods cost a few hundred bytes each instead of a full PodSpec.
import type { Labels } from '../selectors/label-selector-types.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface SlimPod {
  namespace: string;
  name: string;
  labels: Labels;
  /** Empty until scheduled. */
  nodeName: string;
  hostNetwork: boolean;
  phase: PodPhase;
  /** Canonical addresses from `status.podIPs`. */
  podIPs: readonly string[];
}

export interface SlimNamespace {
  name: string;
  labels: Labels;
}

export interface SlimNode {
  name: string;
  labels: Labels;
  /** The `Ready` condition is `True`. */
  ready: boolean;
  /** InternalIP addresses, canonical; the first of a family is the steering next hop. */
  internalIPs: readonly string[];
  /** `spec.podCIDRs`, canonical CIDR text. */
  podCIDRs: readonly string[];
}

/** `namespace/name`, the key pods are indexed by. */
export type PodKey = string;

export function podKey(pod: Pick<SlimPod, 'namespace' | 'name'>): PodKey {
  return `${pod.namespace}/${pod.name}`;
}

/**
 * Whether a pod's traffic is ours to steer (DESIGN.md section 2): scheduled, on the pod network, still able
 * to send (terminating pods stay until gone) and addressed.
 */
export function isEligiblePod(pod: SlimPod): boolean {
  return (
    pod.nodeName !== '' &&
    !pod.hostNetwork &&
    pod.phase !== 'Succeeded' &&
    pod.phase !== 'Failed' &&
    pod.podIPs.length > 0
  );
}
