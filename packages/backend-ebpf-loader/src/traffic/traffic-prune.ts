// Counters of egress IPs this node no longer hosts are deleted when a sync sees an IP leave (with the NAT entries
// of that IP): the programs create an entry per egress IP and never delete one, so without this the maps would
// keep every egress IP that ever passed through the node. An IP that comes back starts again from zero, which
// the contract allows (the agent adds a restarted counter to its totals).
import { join } from 'node:path';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { deleteLine, runBatch } from '../maps/batch-file.js';
import { readPinnedPerCpuMap } from '../maps/map-dump.js';
import { canonicalAddress } from '../nat/nat-layout.js';
import { decodeTrafficKey, TRAFFIC_MAP_IDS, TRAFFIC_MAPS } from './traffic-layout.js';

/** Deletes the counters of every egress IP not in `hosted`, in one batch; returns how many. */
export async function pruneTrafficCounters(
  runner: CommandRunner,
  mapsDir: string,
  hosted: Iterable<string>,
): Promise<number> {
  const keep = new Set([...hosted].map(canonicalAddress));
  const lines: string[] = [];
  for (const id of TRAFFIC_MAP_IDS) {
    const path = join(mapsDir, TRAFFIC_MAPS[id].name);
    for (const hexKey of (await readPinnedPerCpuMap(runner, path, TRAFFIC_MAPS[id])).keys())
      if (!keep.has(decodeTrafficKey(id, hexKey))) lines.push(deleteLine(path, hexKey));
  }
  await runBatch(runner, lines);
  return lines.length;
}
