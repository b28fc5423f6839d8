// A pinned map is reused by a new program version only when it has the layout that version expects: a map
// whose key or value size or capacity changed between versions cannot be reused (`bpftool prog loadall` fails
// on it), so its pin is removed first and the load creates it anew. Programs of the old version keep their
// map until their filters are swapped; the policy maps are refilled by the sync that follows the load, and
// NAT state is disposable (a flow claims a port again at its next packet).
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { EGRESS_MAPS } from '../maps/map-layout.js';
import { NAT_MAPS } from '../nat/nat-layout.js';
import { TRAFFIC_MAPS } from '../traffic/traffic-layout.js';

interface MapShape {
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

/** Every map of bpf/egress_maps.h by its pin name, with the layout this build's object gives it. */
export const PINNED_MAP_SHAPES: ReadonlyMap<string, MapShape> = new Map(
  [...Object.values(EGRESS_MAPS), ...Object.values(NAT_MAPS), ...Object.values(TRAFFIC_MAPS)].map(
    ({ name, keySize, valueSize, maxEntries }) => [name, { keySize, valueSize, maxEntries }] as const,
  ),
);
const SHAPE_FIELDS: readonly (keyof MapShape)[] = ['keySize', 'valueSize', 'maxEntries'];

interface MapShowJson {
  bytes_key?: number;
  bytes_value?: number;
  max_entries?: number;
}

/** Why a pinned map cannot be reused as `name`, or undefined when it can (or is not one of ours). */
export async function incompatibility(
  runner: CommandRunner,
  name: string,
  path: string,
): Promise<string | undefined> {
  const expected = PINNED_MAP_SHAPES.get(name);
  if (expected === undefined) return undefined;
  const shown = JSON.parse(
    await runner.stdout('bpftool', '-j', 'map', 'show', 'pinned', path),
  ) as MapShowJson;
  const found = { keySize: shown.bytes_key, valueSize: shown.bytes_value, maxEntries: shown.max_entries };
  const differences = SHAPE_FIELDS.filter((field) => found[field] !== expected[field]).map(
    (field) => `${field} ${String(found[field])} (this version: ${expected[field]})`,
  );
  return differences.length > 0 ? differences.join(', ') : undefined;
}
