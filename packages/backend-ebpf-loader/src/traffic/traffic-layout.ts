// The TypeScript mirror of the traffic counter maps of bpf/egress_maps.h (egp_traffic4, egp_traffic6): per-CPU
// hashes keyed by the egress IP (network order), each CPU's value two host-order u64s, connections then bytes.
// Change both together. A dump holds one value per possible CPU; a reading is their sum.
import { endianness } from 'node:os';
import type { IPFamily } from '@egress-proxier/core';
import ipaddr from 'ipaddr.js';
import type { EgressMapSpec } from '../maps/map-layout.js';
import { MapDumpError, type PerCpuMapContent } from '../maps/map-dump.js';

export type TrafficMapId = 'traffic4' | 'traffic6';

export const TRAFFIC_MAX_ENTRIES = 65_536;
const TRAFFIC_VALUE_SIZE = 8 + 8;

export const TRAFFIC_MAPS: Readonly<Record<TrafficMapId, EgressMapSpec>> = {
  traffic4: {
    name: 'egp_traffic4',
    family: 4,
    keySize: 4,
    valueSize: TRAFFIC_VALUE_SIZE,
    maxEntries: TRAFFIC_MAX_ENTRIES,
  },
  traffic6: {
    name: 'egp_traffic6',
    family: 6,
    keySize: 16,
    valueSize: TRAFFIC_VALUE_SIZE,
    maxEntries: TRAFFIC_MAX_ENTRIES,
  },
};

export const TRAFFIC_MAP_IDS: readonly TrafficMapId[] = ['traffic4', 'traffic6'];

/** One egress IP's counters, summed over the CPUs. */
export interface TrafficCounters {
  connections: number;
  bytes: number;
}

const littleEndian = endianness() === 'LE';

/** Canonical egress IP text → its counters summed over every CPU's copy. */
export function decodeTrafficCounters(
  map: TrafficMapId,
  content: PerCpuMapContent,
): Map<string, TrafficCounters> {
  const { name, valueSize } = TRAFFIC_MAPS[map];
  const counters = new Map<string, TrafficCounters>();
  for (const [hexKey, hexValues] of content) {
    let connections = 0n;
    let bytes = 0n;
    for (const hexValue of hexValues) {
      const value = Buffer.from(hexValue, 'hex');
      if (value.length !== valueSize)
        throw new MapDumpError(`${name}: a ${value.length}-byte value, expected ${valueSize}`);
      connections += hostU64(value, 0);
      bytes += hostU64(value, 8);
    }
    counters.set(decodeTrafficKey(map, hexKey), {
      connections: Number(connections),
      bytes: Number(bytes),
    });
  }
  return counters;
}

/** The canonical text of a key's egress IP. */
export function decodeTrafficKey(map: TrafficMapId, hexKey: string): string {
  const { name, keySize } = TRAFFIC_MAPS[map];
  const key = Buffer.from(hexKey, 'hex');
  if (key.length !== keySize)
    throw new MapDumpError(`${name}: a ${key.length}-byte key, expected ${keySize}`);
  return ipaddr.fromByteArray([...key]).toString();
}

/** A key: the egress IP's network-order bytes (for tests and benchmarks that fill the maps). */
export function encodeTrafficKey(egressIP: string): Buffer {
  return Buffer.from(ipaddr.parse(egressIP).toByteArray());
}

/** One CPU's value bytes (for tests and benchmarks that fill the maps). */
export function encodeTrafficValue(counters: TrafficCounters): Buffer {
  const bytes = Buffer.alloc(TRAFFIC_VALUE_SIZE);
  if (littleEndian) {
    bytes.writeBigUInt64LE(BigInt(counters.connections), 0);
    bytes.writeBigUInt64LE(BigInt(counters.bytes), 8);
  } else {
    bytes.writeBigUInt64BE(BigInt(counters.connections), 0);
    bytes.writeBigUInt64BE(BigInt(counters.bytes), 8);
  }
  return bytes;
}

export function trafficMapOf(family: IPFamily): TrafficMapId {
  return family === 4 ? 'traffic4' : 'traffic6';
}

function hostU64(bytes: Buffer, offset: number): bigint {
  return littleEndian ? bytes.readBigUInt64LE(offset) : bytes.readBigUInt64BE(offset);
}
