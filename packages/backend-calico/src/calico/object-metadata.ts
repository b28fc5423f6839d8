// The metadata fields of a Calico object this backend reads and writes (IPPool, Tier, GlobalNetworkPolicy);
// others' fields are kept as they are.
export interface ObjectMetadata {
  name: string;
  resourceVersion?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}
