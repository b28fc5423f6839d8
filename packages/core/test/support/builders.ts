// Small builders for cluster objects in tests; defaults describe an ordinary running pod / ready node.
import type { SlimNamespace, SlimNode, SlimPod } from '../../src/cluster/slim-objects.js';
import type { EgressSpec } from '../../src/api/egress-types.js';

export function pod(namespace: string, name: string, fields: Partial<SlimPod> = {}): SlimPod {
  return {
    namespace,
    name,
    labels: {},
    nodeName: 'node-a',
    hostNetwork: false,
    phase: 'Running',
    podIPs: [],
    ...fields,
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): SlimNamespace {
  return { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } };
}

export function node(name: string, ip: string, fields: Partial<SlimNode> = {}): SlimNode {
  return {
    name,
    labels: { 'egress.proxier.io/gateway': 'true' },
    ready: true,
    internalIPs: [ip],
    podCIDRs: [],
    ...fields,
  };
}

export function egress(
  name: string,
  spec: { [K in keyof EgressSpec]?: unknown } & Record<string, unknown>,
  metadata: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'egress.proxier.io/v1alpha1',
    kind: 'Egress',
    metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z', generation: 1, ...metadata },
    spec: { egressIPs: ['192.0.2.100'], ...spec },
  };
}
