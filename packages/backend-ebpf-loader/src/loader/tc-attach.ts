// Our programs on devices, through tc clsact (bpftool 7.1 cannot attach tcx): one filter per device and
// direction with a fixed preference and handle, so `tc filter replace` swaps the program atomically (an
// upgrade drops no packet) and our filter is told apart from anyone else's without a name match.
import type { CommandRunner } from '@egress-proxier/node-datapath';

export type Direction = 'ingress' | 'egress';

/** Our filter's preference and handle on every device ("EG"). */
export const FILTER_PREF = 0x4547;
export const FILTER_HANDLE = '0x4547';

interface FilterJson {
  pref?: number;
  options?: { handle?: string; bpf_name?: string; prog?: { id?: number; name?: string } };
}

export interface Attachment {
  device: string;
  direction: Direction;
  /** The kernel's id of the attached program. */
  programId: number | undefined;
  /** What tc reports as the program (`bpf_name`: the pinned file or the program's name). */
  name: string | undefined;
}

/** Adds the clsact qdisc if missing, then points our filter at `pinnedProgram` (replacing what was there). */
export async function attach(
  runner: CommandRunner,
  device: string,
  direction: Direction,
  pinnedProgram: string,
): Promise<void> {
  // `replace` of an existing clsact changes nothing; of a missing one, adds it.
  await runner.run({ command: 'tc', args: ['qdisc', 'replace', 'dev', device, 'clsact'] });
  await runner.run({
    command: 'tc',
    args: [
      'filter',
      'replace',
      'dev',
      device,
      direction,
      'pref',
      String(FILTER_PREF),
      'handle',
      FILTER_HANDLE,
      'bpf',
      'direct-action',
      'pinned',
      pinnedProgram,
    ],
  });
}

/** Our filter on the device, if any. A device that is gone has none. */
export async function attachment(
  runner: CommandRunner,
  device: string,
  direction: Direction,
): Promise<Attachment | undefined> {
  const filters = await filtersOn(runner, device, direction);
  const ours = filters.find(
    (filter) => filter.pref === FILTER_PREF && filter.options?.handle === FILTER_HANDLE,
  );
  if (ours === undefined) return undefined;
  return {
    device,
    direction,
    programId: ours.options?.prog?.id,
    name: ours.options?.bpf_name ?? ours.options?.prog?.name,
  };
}

/**
 * Removes our filter; removes the clsact qdisc too when nothing else is attached to it (someone else's
 * filters keep it). A device that is gone is fine.
 */
export async function detach(runner: CommandRunner, device: string, direction: Direction): Promise<void> {
  if ((await attachment(runner, device, direction)) === undefined) return;
  await runner.run(
    {
      command: 'tc',
      args: [
        'filter',
        'del',
        'dev',
        device,
        direction,
        'pref',
        String(FILTER_PREF),
        'handle',
        FILTER_HANDLE,
        'bpf',
      ],
    },
    { allowedExitCodes: [2] },
  );
  const remaining = await Promise.all(
    (['ingress', 'egress'] as const).map(async (side) => (await filtersOn(runner, device, side)).length > 0),
  );
  if (!remaining.includes(true))
    await runner.run(
      { command: 'tc', args: ['qdisc', 'del', 'dev', device, 'clsact'] },
      { allowedExitCodes: [2] },
    );
}

/** The filters tc lists on one side of a device; none for a device (or clsact) that is not there. */
async function filtersOn(runner: CommandRunner, device: string, direction: Direction): Promise<FilterJson[]> {
  const result = await runner.read(
    { command: 'tc', args: ['-j', 'filter', 'show', 'dev', device, direction] },
    { allowedExitCodes: [1, 2] },
  );
  if (result.exitCode !== 0 || result.stdout.trim() === '') return [];
  return JSON.parse(result.stdout) as FilterJson[];
}
