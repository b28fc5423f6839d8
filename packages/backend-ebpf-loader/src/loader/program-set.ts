// The programs the tc filters point at: this build's object, loaded once and pinned under its version. A
// restarted agent finds the version already pinned (with the maps beside it) and adopts it, loading nothing:
// the filters keep running the same programs over the same maps, so NAT state and connections survive. A new
// build (another version) is loaded over the same maps and the filters are swapped to it (tc-attach.ts).
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { loadObject } from './load-object.js';
import { PINNED_MAP_SHAPES } from './map-compat.js';
import { objectVersion, programDir, type PinLayout } from './pin-layout.js';
import { pinnedProgramId, PROGRAMS, type ProgramName } from './tc-programs.js';

/** The object `npm run build` compiles (dist/bpf), as shipped in the package and the image. */
export const CLASSIFY_OBJECT = fileURLToPath(new URL('../../bpf/egress_classify.o', import.meta.url));

export interface ProgramSet {
  version: string;
  /** Program → pinned path. */
  paths: Record<ProgramName, string>;
  /** Program → the kernel's id (what `bpftool net show` reports for an attachment). */
  ids: Record<ProgramName, number>;
  /** False when a pinned version was adopted. */
  loaded: boolean;
  /** Pinned maps of an older layout that the load replaced (their content is gone), with why. */
  replacedMaps: { name: string; reason: string }[];
}

export async function loadOrAdopt(
  runner: CommandRunner,
  layout: PinLayout,
  objectPath: string = CLASSIFY_OBJECT,
): Promise<ProgramSet> {
  const version = await objectVersion(objectPath);
  const wanted = Object.values(PROGRAMS);
  const pinned = new Set(await readdir(programDir(layout, version)).catch(() => [] as string[]));
  const maps = new Set(await readdir(layout.maps).catch(() => [] as string[]));
  const complete =
    wanted.every((name) => pinned.has(name)) && [...PINNED_MAP_SHAPES.keys()].every((name) => maps.has(name));
  let loaded = false;
  let replacedMaps: ProgramSet['replacedMaps'] = [];
  if (!complete) {
    const object = await loadObject(runner, layout, objectPath, version);
    for (const name of wanted)
      if (!object.programs.has(name)) throw new Error(`${objectPath} has no program ${name}`);
    loaded = true;
    replacedMaps = object.replacedMaps;
  }
  const dir = programDir(layout, version);
  const paths = Object.fromEntries(wanted.map((name) => [name, `${dir}/${name}`])) as Record<
    ProgramName,
    string
  >;
  const ids = Object.fromEntries(
    await Promise.all(
      wanted.map(async (name) => [name, await pinnedProgramId(runner, paths[name])] as const),
    ),
  ) as Record<ProgramName, number>;
  return { version, paths, ids, loaded, replacedMaps };
}
