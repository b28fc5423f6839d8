// Reads the traffic counter maps: one `bpftool -j map dump` per family, each entry's per-CPU copies summed. The
// maps hold one entry per egress IP that has translated a packet since they were created, so this read stays
// small whatever the number of flows.
import { join } from 'node:path';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { readPinnedPerCpuMap } from '../maps/map-dump.js';
import {
  decodeTrafficCounters,
  TRAFFIC_MAP_IDS,
  TRAFFIC_MAPS,
  type TrafficCounters,
} from './traffic-layout.js';

/** Canonical egress IP text → counters, both families. */
export async function readTrafficCounters(
  runner: CommandRunner,
  mapsDir: string,
): Promise<Map<string, TrafficCounters>> {
  const decoded = await Promise.all(
    TRAFFIC_MAP_IDS.map(async (id) =>
      decodeTrafficCounters(
        id,
        await readPinnedPerCpuMap(runner, join(mapsDir, TRAFFIC_MAPS[id].name), TRAFFIC_MAPS[id]),
      ),
    ),
  );
  return new Map(decoded.flatMap((counters) => [...counters]));
}
