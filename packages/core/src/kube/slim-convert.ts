// Full Kubernetes objects → the core's slim objects, done as each object arrives so that nothing larger
// than a slim object is kept (a full pod is kilobytes; a slim pod a few hundred bytes).
import type { SlimNamespace, SlimNode, SlimPod } from '../cluster/slim-objects.js';
import { slimNamespaceFrom, slimNodeFrom, slimPodFrom } from '../cluster/from-kubernetes.js';

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function metadataOf(object: unknown): { name: string; namespace: string; resourceVersion: string } {
  const metadata = record(record(object).metadata);
  return {
    name: text(metadata.name),
    namespace: text(metadata.namespace),
    resourceVersion: text(metadata.resourceVersion),
  };
}

// The API server has validated these objects: a value conversion could not read is left out (and never
// stops the agent). The conversion itself is shared with `render` (cluster/from-kubernetes.ts).
export function toSlimPod(object: unknown): SlimPod {
  return slimPodFrom(object).value;
}

export function toSlimNamespace(object: unknown): SlimNamespace {
  return slimNamespaceFrom(object).value;
}

export function toSlimNode(object: unknown): SlimNode {
  return slimNodeFrom(object).value;
}

/** An Egress as the agent keeps it: what validation reads and what the status writer compares with. */
export interface SlimEgress {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    uid: string;
    generation: number;
    creationTimestamp: string;
    resourceVersion: string;
  };
  spec: unknown;
  status: Json;
}

export function toSlimEgress(object: unknown): SlimEgress {
  const egress = record(object);
  const metadata = record(egress.metadata);
  return {
    apiVersion: text(egress.apiVersion),
    kind: text(egress.kind),
    metadata: {
      name: text(metadata.name),
      uid: text(metadata.uid),
      generation: typeof metadata.generation === 'number' ? metadata.generation : 1,
      creationTimestamp: text(metadata.creationTimestamp),
      resourceVersion: text(metadata.resourceVersion),
    },
    spec: egress.spec,
    status: record(egress.status),
  };
}

/** The heartbeat fields of a coordination.k8s.io/v1 Lease. */
export interface SlimLease {
  name: string;
  resourceVersion: string;
  holderIdentity: string;
  leaseDurationSeconds: number;
  renewTime: string;
  /** Only our own annotations (`egress.proxier.io/…`), e.g. the published gateway state. */
  annotations: Readonly<Record<string, string>>;
}

const OUR_ANNOTATION_PREFIX = 'egress.proxier.io/';

export function toSlimLease(object: unknown): SlimLease {
  const lease = record(object);
  const metadata = record(lease.metadata);
  const spec = record(lease.spec);
  return {
    name: text(metadata.name),
    resourceVersion: text(metadata.resourceVersion),
    holderIdentity: text(spec.holderIdentity),
    leaseDurationSeconds: typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : 0,
    renewTime: text(spec.renewTime),
    annotations: Object.fromEntries(
      Object.entries(record(metadata.annotations)).filter(
        (entry): entry is [string, string] =>
          entry[0].startsWith(OUR_ANNOTATION_PREFIX) && typeof entry[1] === 'string',
      ),
    ),
  };
}
