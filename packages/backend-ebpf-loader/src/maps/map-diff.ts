// What turns a map's current content into the desired one: an update for every key that is new or whose value
// changed, a delete for every key the desired content does not have. A key that stays is never deleted (an
// update overwrites it in place), so no lookup ever misses an entry both contents agree on.
import type { MapContent } from './desired-maps.js';

export interface MapDiff {
  /** [hex key, hex value], in the desired content's order. */
  updates: [string, string][];
  /** Hex keys, in the current content's order. */
  deletes: string[];
}

export function diffMap(current: MapContent, desired: MapContent): MapDiff {
  const updates: [string, string][] = [];
  for (const [key, value] of desired) if (current.get(key) !== value) updates.push([key, value]);
  const deletes = [...current.keys()].filter((key) => !desired.has(key));
  return { updates, deletes };
}

export function isEmptyDiff(diff: MapDiff): boolean {
  return diff.updates.length === 0 && diff.deletes.length === 0;
}
