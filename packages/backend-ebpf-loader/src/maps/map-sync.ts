// One sync of the four pinned maps: read each back (`bpftool map dump`, which also runs under --dry-run) unless
// the caller knows their content (what its last successful sync left), diff against the desired content, and
// send the whole difference as one `bpftool batch`. A caller forgets what it knew when a batch fails (bpftool
// stops at the first failing line), so the next sync reads the kernel and repairs whatever differs; reading
// every time would cost a dump of every entry per sync (150,000 sources: hundreds of ms and tens of MB).
//
// Line order, so the states a packet meets while the batch runs lean towards "not steered, not leaked":
//   1. cluster maps' additions (new cluster destinations stop being classified before anything else changes);
//   2. policy maps' updates, then their deletions (a changed key is overwritten in place, never absent; a stale
//      entry lingers until the new ones are in, so a source is never left with no entry mid-batch);
//   3. cluster maps' deletions last (a destination leaves the cluster set only once its policy entries exist).
// The cost of updates before deletes: a full map needs room for the updates first (EGP_POLICY_MAX_ENTRIES is
// far above a node's entries).
import { join } from 'node:path';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { deleteLine, runBatch, updateLine, type BatchLine } from './batch-file.js';
import type { EgressMapsContent } from './desired-maps.js';
import { readPinnedMap } from './map-dump.js';
import { diffMap, type MapDiff } from './map-diff.js';
import { EGRESS_MAP_IDS, EGRESS_MAPS, type EgressMapId } from './map-layout.js';

export interface MapSyncReport {
  /** Batch lines sent (updates plus deletes over all maps). */
  lines: number;
  /** `bpftool batch` execs: 0 when nothing differed, else 1. */
  batchExecs: number;
  diffs: Record<EgressMapId, MapDiff>;
}

/** Paths of the four pins in `pinDir` (named after the maps). */
export function mapPaths(pinDir: string): Record<EgressMapId, string> {
  const entries = EGRESS_MAP_IDS.map((id) => [id, join(pinDir, EGRESS_MAPS[id].name)] as const);
  return Object.fromEntries(entries) as Record<EgressMapId, string>;
}

export async function syncMaps(
  runner: CommandRunner,
  pinDir: string,
  desired: EgressMapsContent,
  known?: EgressMapsContent,
): Promise<MapSyncReport> {
  const paths = mapPaths(pinDir);
  const current = known ?? (await readMaps(runner, paths));
  const diffs = Object.fromEntries(
    EGRESS_MAP_IDS.map((id) => [id, diffMap(current[id], desired[id])]),
  ) as Record<EgressMapId, MapDiff>;
  const lines = batchLines(paths, diffs);
  return { lines: lines.length, batchExecs: await runBatch(runner, lines), diffs };
}

export async function readMaps(
  runner: CommandRunner,
  paths: Record<EgressMapId, string>,
): Promise<EgressMapsContent> {
  const contents = await Promise.all(
    EGRESS_MAP_IDS.map(async (id) => [id, await readPinnedMap(runner, paths[id], EGRESS_MAPS[id])] as const),
  );
  return Object.fromEntries(contents) as EgressMapsContent;
}

export function batchLines(
  paths: Record<EgressMapId, string>,
  diffs: Record<EgressMapId, MapDiff>,
): BatchLine[] {
  const updates = (id: EgressMapId) =>
    diffs[id].updates.map(([key, value]) => updateLine(paths[id], key, value));
  const deletes = (id: EgressMapId) => diffs[id].deletes.map((key) => deleteLine(paths[id], key));
  return [
    ...updates('cluster4'),
    ...updates('cluster6'),
    ...updates('policy4'),
    ...deletes('policy4'),
    ...updates('policy6'),
    ...deletes('policy6'),
    ...deletes('cluster4'),
    ...deletes('cluster6'),
  ];
}
