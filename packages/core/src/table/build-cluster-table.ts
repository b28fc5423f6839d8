// Cluster-wide view for cluster-scope backends: every accepted policy with what it selects.
import type { SlimPod } from '../cluster/slim-objects.js';
import type { EgressModel } from '../model/egress-model.js';
import { compareStrings } from '../selectors/label-selector.js';
import type { ClusterEgressTable, ClusterPolicyEntry } from './cluster-egress-table.js';

export function buildClusterEgressTable(model: EgressModel): ClusterEgressTable {
  const policies: ClusterPolicyEntry[] = model
    .acceptedPolicies()
    .sort((a, b) => compareStrings(a.name, b.name))
    .map((policy) => ({
      name: policy.name,
      uid: policy.uid,
      generation: policy.generation,
      egressIPs: [...policy.egressIPs],
      namespaceSelector: policy.source.namespaceSelector,
      podSelector: policy.source.podSelector,
      destinationCIDRs: policy.destinationsExplicit ? policy.destinationCIDRs.map((c) => c.text) : [],
      excludedCIDRs: policy.excludedCIDRs.map((c) => c.text),
      failurePolicy: policy.failurePolicy,
      namespaces: model.tracker.namespacesMatchedBy(policy.name).sort(compareStrings),
      pods: [...model.tracker.podsSelectedBy(policy.name)].sort(compareStrings).map((key) => {
        const pod = model.tracker.pod(key) as SlimPod;
        return { namespace: pod.namespace, name: pod.name, nodeName: pod.nodeName, podIPs: [...pod.podIPs] };
      }),
    }));
  return { policies, clusterCIDRs: [...model.clusterDestinations()] };
}
