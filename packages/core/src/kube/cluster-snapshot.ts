// The cluster read once into an EgressModel: the agent's informers' lists (same paths, same conversions,
// same model updates: agent-informers.ts), without their watches. Heartbeat leases are listed first,
// because gateway liveness and who hosts each IP (the gateways' published state) are inputs of the model.
import { agentInformers } from '../agent/agent-informers.js';
import { ClaimBook } from '../fencing/claim-book.js';
import { leaseSnapshotLiveness } from '../fencing/lease-snapshot-liveness.js';
import { EgressModel } from '../model/egress-model.js';
import { HEARTBEAT_LABEL } from './heartbeat-renewer.js';
import type { KubeClient } from './kube-client.js';
import { leasesPath } from './lease-api.js';
import { toSlimLease, type SlimLease } from './slim-convert.js';

export interface ClusterSnapshotOptions {
  /** The agents' namespace, where their heartbeat leases live. */
  namespace: string;
  /** Pod and service CIDRs, as the agents are given them (`--cluster-cidr`, `--service-cidr`). */
  clusterCIDRs: readonly string[];
  listTimeoutMs: number;
  /** Wall-clock milliseconds, against which lease renewals are judged. */
  nowMs: number;
}

export async function readClusterSnapshot(
  client: KubeClient,
  options: ClusterSnapshotOptions,
): Promise<EgressModel> {
  const leases: SlimLease[] = [];
  const selector = encodeURIComponent(`${HEARTBEAT_LABEL}=true`);
  await client.list(
    `${leasesPath(options.namespace)}?labelSelector=${selector}`,
    options.listTimeoutMs,
    (item) => leases.push(toSlimLease(item)),
  );
  const book = new ClaimBook();
  for (const lease of leases) book.observeLease(lease, false);
  const model = new EgressModel({
    clusterCIDRs: options.clusterCIDRs,
    liveness: leaseSnapshotLiveness(leases, options.nowMs),
    incumbency: book,
  });
  const ignore = (): void => undefined;
  const specs = agentInformers(options.namespace, model, {
    changed: ignore,
    statusChanged: ignore,
    fencing: undefined,
  });
  for (const spec of specs) {
    await client.list(spec.path, options.listTimeoutMs, (item) =>
      spec.upsert(spec.convert(item), undefined, 'list'),
    );
  }
  return model;
}
