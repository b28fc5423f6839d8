// Full Kubernetes objects → the core's slim objects, done as each object arrives so that nothing larger
// than a slim object is kept (a full pod is kilobytes; a slim pod a few hundred bytes).
import type { PodPhase, SlimNamespace, SlimNode, SlimPod } from '../cluster/slim-objects.js';
import type { Labels } from '../selectors/label-selector-types.js';
import { canonicalIP, parseCidr } from '../net/ip.js';

type Json = Record<string, unknown>;

const PHASES: readonly PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** String-valued labels only, in a fresh object (never a reference into the parsed response). */
export function labelsOf(metadata: Json): Labels {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(record(metadata.labels)))
    if (typeof value === 'string') labels[key] = value;
  return labels;
}

export function metadataOf(object: unknown): { name: string; namespace: string; resourceVersion: string } {
  const metadata = record(record(object).metadata);
  return {
    name: text(metadata.name),
    namespace: text(metadata.namespace),
    resourceVersion: text(metadata.resourceVersion),
  };
}

export function toSlimPod(object: unknown): SlimPod {
  const pod = record(object);
  const metadata = record(pod.metadata);
  const spec = record(pod.spec);
  const status = record(pod.status);
  const phaseText = text(status.phase);
  const phase = (PHASES as readonly string[]).includes(phaseText) ? (phaseText as PodPhase) : 'Pending';
  const addresses = list(status.podIPs).map((entry) => text(record(entry).ip));
  // Older servers and some fakes set only status.podIP.
  if (addresses.length === 0 && text(status.podIP) !== '') addresses.push(text(status.podIP));
  const podIPs = [...new Set(addresses.map(canonicalIP).filter((ip): ip is string => ip !== null))];
  return {
    namespace: text(metadata.namespace),
    name: text(metadata.name),
    labels: labelsOf(metadata),
    nodeName: text(spec.nodeName),
    hostNetwork: spec.hostNetwork === true,
    phase,
    podIPs,
  };
}

export function toSlimNamespace(object: unknown): SlimNamespace {
  const metadata = record(record(object).metadata);
  return { name: text(metadata.name), labels: labelsOf(metadata) };
}

export function toSlimNode(object: unknown): SlimNode {
  const node = record(object);
  const metadata = record(node.metadata);
  const spec = record(node.spec);
  const status = record(node.status);
  const ready = list(status.conditions).some(
    (c) => text(record(c).type) === 'Ready' && text(record(c).status) === 'True',
  );
  const internalIPs = list(status.addresses)
    .map(record)
    .filter((a) => text(a.type) === 'InternalIP')
    .map((a) => canonicalIP(text(a.address)))
    .filter((ip): ip is string => ip !== null);
  const cidrTexts = list(spec.podCIDRs).map(text);
  if (cidrTexts.length === 0 && text(spec.podCIDR) !== '') cidrTexts.push(text(spec.podCIDR));
  const podCIDRs = cidrTexts.flatMap((c) => {
    const parsed = parseCidr(c);
    return 'cidr' in parsed ? [parsed.cidr.text] : [];
  });
  return { name: text(metadata.name), labels: labelsOf(metadata), ready, internalIPs, podCIDRs };
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
}

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
  };
}
