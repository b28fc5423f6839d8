import { createHash } from 'node:crypto';
import type { NodeEgressTable } from './node-egress-table.js';
import type { ClusterEgressTable } from './cluster-egress-table.js';

/** A short digest of a table; tables are sorted, so equal states give equal digests. */
export function tableDigest(table: NodeEgressTable | ClusterEgressTable): string {
  return createHash('sha256').update(JSON.stringify(table)).digest('hex').slice(0, 16);
}
