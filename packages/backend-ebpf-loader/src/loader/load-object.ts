// Loads a BPF object with bpftool and pins its programs under the version's directory, reusing the maps
// already pinned (by name) so their contents survive, and pinning the object's new maps beside them.
//
// bpftool cannot do both in one `loadall`: `pinmaps DIR` fails with EEXIST on a reused map. So the object is
// loaded with every already pinned map given as `map name N pinned P` and `pinmaps` pointing at a fresh
// staging directory; the maps that were new are then moved (bpffs rename) into maps/, and the staging pins of
// reused maps are removed (unpinning a map that is still pinned elsewhere does not free it). A pinned map of
// another layout (an older version's) is unpinned first and created anew (map-compat.ts).
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { incompatibility } from './map-compat.js';
import { programDir, type PinLayout } from './pin-layout.js';

export interface LoadedObject {
  version: string;
  /** Program name → pinned path. */
  programs: Map<string, string>;
  /** Maps pinned by this load (the others were reused). */
  newMaps: string[];
  /** Pinned maps of another layout that this load replaced, with why. */
  replacedMaps: { name: string; reason: string }[];
}

export async function loadObject(
  runner: CommandRunner,
  layout: PinLayout,
  objectPath: string,
  version: string,
): Promise<LoadedObject> {
  const dir = programDir(layout, version);
  await mkdir(layout.maps, { recursive: true });
  await mkdir(layout.programs, { recursive: true });
  const replacedMaps: { name: string; reason: string }[] = [];
  for (const name of (await readdir(layout.maps)).sort()) {
    const reason = await incompatibility(runner, name, join(layout.maps, name));
    if (reason === undefined) continue;
    await rm(join(layout.maps, name));
    replacedMaps.push({ name, reason });
  }
  const existing = new Set(await readdir(layout.maps));
  const staging = join(layout.root, `staging-${version}`);
  await rm(dir, { recursive: true, force: true }); // a load of this version that died half way
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  try {
    const reuse = [...existing]
      .sort()
      .flatMap((name) => ['map', 'name', name, 'pinned', join(layout.maps, name)]);
    await runner.run({
      command: 'bpftool',
      args: ['prog', 'loadall', objectPath, dir, ...reuse, 'pinmaps', staging],
    });
    const newMaps: string[] = [];
    for (const name of (await readdir(staging)).sort()) {
      if (existing.has(name)) continue;
      await rename(join(staging, name), join(layout.maps, name));
      newMaps.push(name);
    }
    const programs = new Map((await readdir(dir)).sort().map((name) => [name, join(dir, name)]));
    return { version, programs, newMaps, replacedMaps };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Unpins every program version but `keep` (after the tc filters were moved to it). */
export async function removeOtherVersions(layout: PinLayout, keep: string): Promise<string[]> {
  const versions = await readdir(layout.programs).catch(() => [] as string[]);
  const removed = versions.filter((version) => version !== keep);
  for (const version of removed) await rm(programDir(layout, version), { recursive: true, force: true });
  return removed;
}
