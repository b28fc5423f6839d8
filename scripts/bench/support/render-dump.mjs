// What the render benchmark feeds the CLI: a cluster dump shaped like
// `kubectl get pods,nodes,namespaces,egresses -A -o json` (one `List`), with small pods as on a large
// cluster (about 290 bytes each in compact JSON, as in the 66 MB / 227,000-pod dump of issue 14), and the
// same objects as YAML (`-o yaml`: one document holding the List).
import { stringify } from 'yaml';

const NODES = 1000;
const NAMESPACES = 500;
const EGRESSES = 5;
const GATEWAYS = 3;

const hex = (n, width) => n.toString(16).padStart(width, '0');
const uid = (kind, i) => `${hex(kind, 8)}-${hex(i >>> 16, 4)}-4${hex(i & 0xfff, 3)}-8000-${hex(i, 12)}`;

function node(i) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `node-${i}`,
      uid: uid(1, i),
      labels: {
        'kubernetes.io/hostname': `node-${i}`,
        ...(i < GATEWAYS ? { 'egress.proxier.io/gateway': 'true' } : {}),
      },
    },
    spec: {
      podCIDR: `10.${64 + (i >> 8)}.${i & 0xff}.0/24`,
      podCIDRs: [`10.${64 + (i >> 8)}.${i & 0xff}.0/24`],
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: `100.64.${i >> 8}.${i & 0xff}` },
        { type: 'Hostname', address: `node-${i}` },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
    },
  };
}

function namespace(i) {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: `ns-${i}`, uid: uid(2, i), labels: { 'kubernetes.io/metadata.name': `ns-${i}` } },
    status: { phase: 'Active' },
  };
}

function pod(i) {
  const n = i % NODES;
  const slot = Math.floor(i / NODES) + 2;
  const ip = `10.${64 + (n >> 8)}.${n & 0xff}.${slot & 0xff}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `app-${i % 40}-7d4b9c${hex(i, 5)}`,
      namespace: `ns-${i % NAMESPACES}`,
      uid: uid(3, i),
      labels: { app: `app-${i % 40}` },
    },
    spec: { nodeName: `node-${n}` },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

function egress(i) {
  return {
    apiVersion: 'egress.proxier.io/v1alpha1',
    kind: 'Egress',
    metadata: { name: `egress-${i}`, creationTimestamp: '2026-01-01T00:00:00Z', generation: 1 },
    spec: {
      podSelector: { matchLabels: { app: `app-${i}` } },
      egressIPs: [`192.0.2.${10 + i}`],
      destinationCIDRs: ['203.0.113.0/24'],
    },
  };
}

/** The dump as one `List` object, in kubectl's order (pods, nodes, namespaces, egresses). */
export function clusterDump(pods) {
  return {
    apiVersion: 'v1',
    kind: 'List',
    metadata: { resourceVersion: '' },
    items: [
      ...Array.from({ length: pods }, (_, i) => pod(i)),
      ...Array.from({ length: NODES }, (_, i) => node(i)),
      ...Array.from({ length: NAMESPACES }, (_, i) => namespace(i)),
      ...Array.from({ length: EGRESSES }, (_, i) => egress(i)),
    ],
  };
}

export const dumpAsJson = (dump) => JSON.stringify(dump);
export const dumpAsYaml = (dump) => stringify(dump, { lineWidth: 0 });
export const DUMP_NODES = NODES;
