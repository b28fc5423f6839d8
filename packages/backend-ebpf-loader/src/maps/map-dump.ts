// `bpftool -j map dump pinned PATH` → hex key → hex value. bpftool always prints the raw bytes as `key` and
// `value` arrays of "0x.." strings; a map with BTF types (ours are declared by size and have none) adds a
// `formatted` object with the fields decoded, which is ignored: the raw bytes are what the diff compares.
// Output holding only `formatted` (no raw arrays) is refused rather than re-encoded from field names.
// A per-CPU map prints `values`, one `{cpu, value}` per possible CPU, instead of `value`: readPinnedPerCpuMap.
import { ExecError } from '@egress-proxier/core';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import type { MapContent } from './desired-maps.js';
import type { EgressMapSpec } from './map-layout.js';

export class MapDumpError extends Error {
  override name = 'MapDumpError';
}

type MapSizes = Pick<EgressMapSpec, 'name' | 'keySize' | 'valueSize'>;

/** Hex key → every possible CPU's hex value, in CPU order. */
export type PerCpuMapContent = Map<string, string[]>;

export function readPinnedMap(runner: CommandRunner, path: string, spec: EgressMapSpec): Promise<MapContent> {
  return dumpPinned(runner, path, (json) => parseMapDump(json, spec));
}

export function readPinnedPerCpuMap(
  runner: CommandRunner,
  path: string,
  spec: MapSizes,
): Promise<PerCpuMapContent> {
  return dumpPinned(runner, path, (json) => parsePerCpuMapDump(json, spec));
}

async function dumpPinned<T>(runner: CommandRunner, path: string, parse: (json: string) => T): Promise<T> {
  const stdout = await runner
    .stdout('bpftool', '-j', 'map', 'dump', 'pinned', path)
    .catch((error: unknown) => {
      // With -j, bpftool prints its error ("bpf obj get (PATH): No such file or directory") on stdout.
      if (error instanceof ExecError && error.result !== undefined && error.result.stdout.includes('"error"'))
        parse(error.result.stdout);
      throw error;
    });
  return parse(stdout);
}

/** With `spec`, every key and value must have its sizes (a map of another layout pinned under our name). */
export function parseMapDump(json: string, spec?: MapSizes): MapContent {
  const where = spec?.name ?? 'map dump';
  const content: MapContent = new Map();
  dumpRecords(json, where).forEach((record, index) => {
    const key = rawBytes(record.key, `${where}: entry ${index} key`);
    const value = rawBytes(record.value, `${where}: entry ${index} value`);
    checkSizes(spec, where, index, key, value);
    content.set(key, value);
  });
  return content;
}

/** A per-CPU map's dump; every entry must carry a value for each CPU the first one has. */
export function parsePerCpuMapDump(json: string, spec?: MapSizes): PerCpuMapContent {
  const where = spec?.name ?? 'map dump';
  const content: PerCpuMapContent = new Map();
  let cpus: number | undefined;
  dumpRecords(json, where).forEach((record, index) => {
    const key = rawBytes(record.key, `${where}: entry ${index} key`);
    if (!Array.isArray(record.values))
      throw new MapDumpError(`${where}: entry ${index} has no per-CPU "values" (not a per-CPU map?)`);
    const values = record.values.map((perCpu: unknown, cpu) =>
      rawBytes((perCpu as { value?: unknown } | null)?.value, `${where}: entry ${index} CPU ${cpu} value`),
    );
    cpus ??= values.length;
    if (values.length !== cpus)
      throw new MapDumpError(
        `${where}: entry ${index} has values of ${values.length} CPUs, expected ${cpus}`,
      );
    for (const value of values) checkSizes(spec, where, index, key, value);
    content.set(key, values);
  });
  return content;
}

function dumpRecords(json: string, where: string): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new MapDumpError(`${where}: bpftool printed no JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) {
    const message = (parsed as { error?: unknown } | null)?.error;
    throw new MapDumpError(`${where}: ${typeof message === 'string' ? message : 'not a JSON array'}`);
  }
  return parsed.map((entry: unknown) => (entry ?? {}) as Record<string, unknown>);
}

function checkSizes(
  spec: MapSizes | undefined,
  where: string,
  index: number,
  key: string,
  value: string,
): void {
  if (spec !== undefined && (key.length / 2 !== spec.keySize || value.length / 2 !== spec.valueSize))
    throw new MapDumpError(
      `${where}: entry ${index} has a ${key.length / 2}-byte key and a ${value.length / 2}-byte value, ` +
        `expected ${spec.keySize} and ${spec.valueSize}`,
    );
}

function rawBytes(field: unknown, where: string): string {
  if (!Array.isArray(field))
    throw new MapDumpError(
      `${where}: no raw byte array (${field === undefined ? 'missing' : JSON.stringify(field)})`,
    );
  return field
    .map((byte: unknown) => {
      if (typeof byte !== 'string' || !/^0x[0-9a-f]{1,2}$/i.test(byte))
        throw new MapDumpError(`${where}: ${JSON.stringify(byte)} is not a "0x.." byte`);
      return byte.slice(2).toLowerCase().padStart(2, '0');
    })
    .join('');
}
