// Which of our programs tc runs where, read in one exec for the whole namespace (`bpftool -j net show`),
// instead of one `tc filter show` per device: a node with 100 pods has 100 veths to look at.
import type { CommandRunner } from '@egress-proxier/node-datapath';

/** The programs of bpf/egress_classify.c, by the name the kernel knows them by. */
export const PROGRAMS = { classify: 'egp_classify', uplinkIn: 'egp_uplink_in' } as const;
export type ProgramName = (typeof PROGRAMS)[keyof typeof PROGRAMS];

const OUR_PROGRAMS: readonly string[] = Object.values(PROGRAMS);

export interface TcProgram {
  device: string;
  /** The kernel's id of the attached program. */
  programId: number;
  program: ProgramName;
}

interface NetShowJson {
  tc?: { devname?: string; kind?: string; name?: string; id?: number }[];
}

/** Our programs at tc ingress, per device (tc names a pinned program `NAME:[*fsobj]`). */
export function parseNetShow(json: string): TcProgram[] {
  const namespaces = JSON.parse(json) as NetShowJson[];
  return namespaces.flatMap((namespace) =>
    (namespace.tc ?? []).flatMap((entry) => {
      const program = entry.name?.split(':')[0] ?? '';
      if (entry.kind !== 'clsact/ingress' || !OUR_PROGRAMS.includes(program)) return [];
      if (entry.devname === undefined || entry.id === undefined) return [];
      return [{ device: entry.devname, programId: entry.id, program: program as ProgramName }];
    }),
  );
}

export async function readTcPrograms(runner: CommandRunner): Promise<TcProgram[]> {
  return parseNetShow(await runner.stdout('bpftool', '-j', 'net', 'show'));
}

/** The kernel id of a pinned program (`bpftool prog show pinned`). */
export async function pinnedProgramId(runner: CommandRunner, path: string): Promise<number> {
  const shown = JSON.parse(await runner.stdout('bpftool', '-j', 'prog', 'show', 'pinned', path)) as {
    id?: number;
  };
  if (shown.id === undefined) throw new Error(`bpftool prog show pinned ${path}: no id`);
  return shown.id;
}
