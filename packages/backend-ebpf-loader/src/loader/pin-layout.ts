// Everything the backend pins lives under one bpffs directory it owns (`--ebpf-pin-dir`):
//   <root>/maps/<name>                the maps, shared by every program version (NAT state and policy survive
//                                     a program upgrade and an agent restart)
//   <root>/progs/<version>/<program>  the programs of one object version; tc filters point at these
// bpffs names may not contain dots, so a version is a hex digest of the object.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PinLayout {
  root: string;
  maps: string;
  programs: string;
}

export function pinLayout(root: string): PinLayout {
  return { root, maps: join(root, 'maps'), programs: join(root, 'progs') };
}

/** The pin directory of one object version's programs. */
export function programDir(layout: PinLayout, version: string): string {
  return join(layout.programs, version);
}

/** A version name for an object file: the first 16 hex digits of its SHA-256 (bpffs-safe, stable). */
export async function objectVersion(objectPath: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(objectPath))
    .digest('hex')
    .slice(0, 16);
}
