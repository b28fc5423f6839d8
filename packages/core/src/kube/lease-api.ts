// coordination.k8s.io/v1 Lease objects as the heartbeat renewer, the leader elector and the agent's API
// probe read and write them.

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: LeaseSpec;
}

export function leasesPath(namespace: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
}

export function leasePath(namespace: string, name: string): string {
  return `${leasesPath(namespace)}/${name}`;
}

/** metav1.MicroTime: RFC 3339 with microseconds, as client-go writes renewTime and acquireTime. */
export function microTime(date = new Date()): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

export const HEARTBEAT_LEASE_PREFIX = 'egress-proxier-node-';

/** The heartbeat Lease of a node. */
export function heartbeatLeaseName(node: string): string {
  return HEARTBEAT_LEASE_PREFIX + node;
}

/** The node a heartbeat lease belongs to; undefined for other leases. */
export function nodeOfLease(name: string): string | undefined {
  return name.startsWith(HEARTBEAT_LEASE_PREFIX) ? name.slice(HEARTBEAT_LEASE_PREFIX.length) : undefined;
}
