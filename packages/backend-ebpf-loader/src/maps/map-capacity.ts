// A table that needs more entries than a map holds must fail the sync before anything is written, with the
// numbers: a partial batch would leave some sources unclassified (leaving with the node IP) without a word.
import type { EgressMapsContent } from './desired-maps.js';
import { EGRESS_MAP_IDS, EGRESS_MAPS } from './map-layout.js';

export class MapCapacityError extends Error {
  override name = 'MapCapacityError';
}

export function assertMapsFit(maps: EgressMapsContent): void {
  const over = EGRESS_MAP_IDS.filter((id) => maps[id].size > EGRESS_MAPS[id].maxEntries).map(
    (id) => `${EGRESS_MAPS[id].name} needs ${maps[id].size} entries, holds ${EGRESS_MAPS[id].maxEntries}`,
  );
  if (over.length > 0)
    throw new MapCapacityError(`the node's table does not fit the BPF maps: ${over.join('; ')}`);
}

export function mapEntryCounts(maps: EgressMapsContent): { policy: number; cluster: number } {
  return {
    policy: maps.policy4.size + maps.policy6.size,
    cluster: maps.cluster4.size + maps.cluster6.size,
  };
}
