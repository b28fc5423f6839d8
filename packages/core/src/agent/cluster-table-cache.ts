// The cluster-wide table for companions (e.g. a webhook answering every pod creation): rebuilt only when
// the model changed since the last call, so a burst of requests costs one build.
import type { EgressModel } from '../model/egress-model.js';
import { buildClusterEgressTable } from '../table/build-cluster-table.js';
import type { ClusterEgressTable } from '../table/cluster-egress-table.js';

export class ClusterTableCache {
  private cached: { version: number; table: ClusterEgressTable } | undefined;

  constructor(private readonly model: EgressModel) {}

  current(): ClusterEgressTable {
    const version = this.model.stateVersion;
    if (this.cached?.version !== version)
      this.cached = { version, table: buildClusterEgressTable(this.model) };
    return this.cached.table;
  }
}
