// One sweep of the gateway's NAT maps: dump the four (`bpftool -j map dump pinned`), decide what goes
// (nat-expiry.ts) and delete it in one `bpftool batch`.
//
// The programs write these maps while the sweep runs. An entry may vanish between the dump and the batch (the
// LRU evicted it, or a failed claim removed its own reverse entry); bpftool then stops at that delete with
// ENOENT, having applied the lines before it. The sweep skips that line and sends the rest, so a vanished entry
// costs one more exec, not the sweep. An entry refreshed by a packet after the dump may still be deleted as idle:
// its flow claims a port again at its next outbound packet (replies in between find no entry and go to the
// node), the price of not locking the datapath.
import { join } from 'node:path';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { BatchError, deleteLine, runBatch, type BatchLine } from '../maps/batch-file.js';
import { readPinnedMap } from '../maps/map-dump.js';
import { planNatSweep, type NatDumps, type NatSweepOptions } from './nat-expiry.js';
import { NAT_MAP_IDS, NAT_MAPS, type NatMapId } from './nat-layout.js';

export interface NatSweepReport {
  /** Entries in the four maps when dumped. */
  seen: number;
  /** Entries deleted because their flow was idle past its timeout. */
  expired: number;
  /** Entries deleted because their egress IP is not hosted here any more. */
  stale: number;
  /** Entries planned for deletion that were already gone when their line ran. */
  vanished: number;
  /** `bpftool batch` execs: 0 when nothing was due, 1 unless entries vanished under the sweep. */
  batchExecs: number;
}

/** Paths of the four NAT pins in `mapsDir` (named after the maps). */
export function natMapPaths(mapsDir: string): Record<NatMapId, string> {
  return Object.fromEntries(NAT_MAP_IDS.map((id) => [id, join(mapsDir, NAT_MAPS[id].name)])) as Record<
    NatMapId,
    string
  >;
}

export async function readNatMaps(runner: CommandRunner, mapsDir: string): Promise<NatDumps> {
  const paths = natMapPaths(mapsDir);
  const contents = await Promise.all(NAT_MAP_IDS.map((id) => readPinnedMap(runner, paths[id], NAT_MAPS[id])));
  return Object.fromEntries(NAT_MAP_IDS.map((id, index) => [id, contents[index] ?? new Map()])) as NatDumps;
}

export async function sweepNat(
  runner: CommandRunner,
  mapsDir: string,
  options: NatSweepOptions,
): Promise<NatSweepReport> {
  const plan = planNatSweep(await readNatMaps(runner, mapsDir), options);
  const paths = natMapPaths(mapsDir);
  const lines = plan.deletions.map((deletion) => deleteLine(paths[deletion.map], deletion.key));
  const { execs, vanished } = await deleteAll(runner, lines);
  return { seen: plan.seen, expired: plan.expired, stale: plan.stale, vanished, batchExecs: execs };
}

/** Runs the delete lines, skipping each one whose key is already gone; any other failure is thrown. */
async function deleteAll(
  runner: CommandRunner,
  lines: readonly BatchLine[],
): Promise<{ execs: number; vanished: number }> {
  let rest = lines;
  let execs = 0;
  let vanished = 0;
  while (rest.length > 0) {
    try {
      execs += await runBatch(runner, rest);
      return { execs, vanished };
    } catch (error) {
      if (!(error instanceof BatchError) || error.failedLine === undefined || !isGone(error.reason))
        throw error;
      execs += 1;
      vanished += 1;
      rest = rest.slice(error.failedLine);
    }
  }
  return { execs, vanished };
}

function isGone(reason: string | undefined): boolean {
  return reason !== undefined && /No such file or directory/.test(reason);
}
