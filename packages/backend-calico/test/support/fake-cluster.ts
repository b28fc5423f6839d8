// An in-memory API server with (some of) Calico's CRDs registered, plus helpers to build tables.
import { startApiServer, type RunningApiServer } from '@egress-proxier/testing';
import type { ClusterPolicyEntry, ClusterPolicyPod, LabelSelector } from '@egress-proxier/core';
import { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import type { Crd } from './calico-crds.js';

export interface FakeCluster {
  api: RunningApiServer;
  kubeConfig: KubeConfig;
  close(): Promise<void>;
}

export async function startFakeCluster(crds: readonly Crd[]): Promise<FakeCluster> {
  const api = await startApiServer({ https: true });
  for (const crd of crds) api.store.put(structuredClone(crd) as never);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions(api.kubeConfigForClientNode());
  return { api, kubeConfig, close: () => api.close() };
}

export function putNamespace(
  cluster: FakeCluster,
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): void {
  cluster.api.store.put({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, annotations },
  });
}

export function namespaceAnnotations(cluster: FakeCluster, name: string): Record<string, string> {
  return (cluster.api.store.get('v1', 'Namespace', name)?.metadata.annotations ?? {}) as Record<
    string,
    string
  >;
}

/** A recording logger: every line pino writes, parsed. */
export function recordingLogger(): { logger: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

export function policy(
  name: string,
  fields: Partial<Omit<ClusterPolicyEntry, 'name'>> & { egressIPs: string[] },
): ClusterPolicyEntry {
  return {
    name,
    uid: `uid-${name}`,
    generation: 1,
    namespaceSelector: null as LabelSelector | null,
    podSelector: null as LabelSelector | null,
    destinationCIDRs: [],
    excludedCIDRs: [],
    namespaces: [],
    pods: [],
    ...fields,
    // The pool tests predate FailClosed on Calico; a test that wants it says so.
    failurePolicy: fields.failurePolicy ?? 'FailOpen',
  };
}

export function pods(namespace: string, ips: readonly string[]): ClusterPolicyPod[] {
  return ips.map((ip, index) => ({ namespace, name: `pod-${index}`, nodeName: 'node-a', podIPs: [ip] }));
}
