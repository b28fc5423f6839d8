// `bpftool -j map dump pinned PATH` → hex key → hex value. bpftool always prints the raw bytes as `key` and
// `value` arrays of "0x.." strings; a map with BTF types (ours are declared by size and have none) adds a
// `formatted` object with the fields decoded, which is ignored: the raw bytes are what the diff compares.
// Output holding only `formatted` (no raw arrays) is refused rather than re-encoded from field names.
import { ExecError } from '@egress-proxier/core';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import type { MapContent } from './desired-maps.js';
import type { EgressMapSpec } from './map-layout.js';

export class MapDumpError extends Error {
  override name = 'MapDumpError';
}

export async function readPinnedMap(
  runner: CommandRunner,
  path: string,
  spec: EgressMapSpec,
): Promise<MapContent> {
  const stdout = await runner
    .stdout('bpftool', '-j', 'map', 'dump', 'pinned', path)
    .catch((error: unknown) => {
      // With -j, bpftool prints its error ("bpf obj get (PATH): No such file or directory") on stdout.
      if (error instanceof ExecError && error.result !== undefined && error.result.stdout.includes('"error"'))
        parseMapDump(error.result.stdout, spec);
      throw error;
    });
  return parseMapDump(stdout, spec);
}

/** With `spec`, every key and value must have its sizes (a map of another layout pinned under our name). */
export function parseMapDump(
  json: string,
  spec?: Pick<EgressMapSpec, 'name' | 'keySize' | 'valueSize'>,
): MapContent {
  const where = spec?.name ?? 'map dump';
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
  const content: MapContent = new Map();
  parsed.forEach((entry: unknown, index) => {
    const record = (entry ?? {}) as Record<string, unknown>;
    const key = rawBytes(record.key, `${where}: entry ${index} key`);
    const value = rawBytes(record.value, `${where}: entry ${index} value`);
    if (spec !== undefined && (key.length / 2 !== spec.keySize || value.length / 2 !== spec.valueSize))
      throw new MapDumpError(
        `${where}: entry ${index} has a ${key.length / 2}-byte key and a ${value.length / 2}-byte value, ` +
          `expected ${spec.keySize} and ${spec.valueSize}`,
      );
    content.set(key, value);
  });
  return content;
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
