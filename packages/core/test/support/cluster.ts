// A small cluster for table tests: three nodes (two gateways), pods on each, one namespace.
import { EgressModel, type EgressModelConfig } from '../../src/model/egress-model.js';
import { namespace, node, pod } from './builders.js';

export const CLUSTER_CIDRS = ['10.244.0.0/16', '10.96.0.0/12'];

export function threeNodeCluster(config: Partial<EgressModelConfig> = {}): EgressModel {
  const model = new EgressModel({ clusterCIDRs: CLUSTER_CIDRS, ...config });
  model.upsertNode(node('node-a', '192.0.2.11', { labels: {}, podCIDRs: ['10.244.1.0/24'] }));
  model.upsertNode(node('node-b', '192.0.2.12', { podCIDRs: ['10.244.2.0/24'] }));
  model.upsertNode(node('node-c', '192.0.2.13', { podCIDRs: ['10.244.3.0/24'] }));
  model.upsertNamespace(namespace('payments', { team: 'pay' }));
  model.upsertPod(
    pod('payments', 'api-a', { nodeName: 'node-a', podIPs: ['10.244.1.2'], labels: { app: 'api' } }),
  );
  model.upsertPod(
    pod('payments', 'api-b', { nodeName: 'node-b', podIPs: ['10.244.2.2'], labels: { app: 'api' } }),
  );
  model.upsertPod(
    pod('payments', 'web-c', { nodeName: 'node-c', podIPs: ['10.244.3.2'], labels: { app: 'web' } }),
  );
  return model;
}
