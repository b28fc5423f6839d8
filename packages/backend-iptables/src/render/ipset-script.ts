// `ipset restore -exist` input that turns the current sets into the desired ones by difference: new sets are
// created and filled, changed sets get only their added and removed entries, and a set whose type or family
// must change is built aside and swapped in, so a set in use is never empty.
//
// `ipset restore` applies its lines one by one, so the order of entry changes is visible to packets. Every
// addition (in every set) comes before any deletion: a pod moving from set A to set B is briefly in both (the
// earlier rule decides, as the old or the new table would), never in neither (it would match no rule and be
// masqueraded with the node IP). Additions go in the order of the sets' first rules and deletions in reverse,
// so a pod that joins (or leaves) several sets at once meets the rule that decides it first (or last).
import type { IpsetSpec } from '../model/desired-datapath.js';
import { tempSetName } from '../names.js';

export interface IpsetPlan {
  /** Creates and fills sets no rule uses yet: new sets, and the scratch copies of sets that change type. */
  create: string[];
  /** Changes to sets rules may use: all additions, then all deletions, then swaps of rebuilt sets. */
  update: string[];
  /** Destroys our sets no rule uses any more; runs after the rules referring to them are gone. */
  destroy: string[];
  /** Existing sets whose members change (entries added or removed, or swapped): their rules may decide anew. */
  changedSets: ReadonlySet<string>;
  /** Entries added plus removed, sets created and destroyed, for metrics and "did anything change". */
  changes: number;
}

/**
 * `precedence(name)` is the position of the first rule that uses the set (lower decides first; the cluster set,
 * which every chain consults first, comes before all); sets it does not know go last.
 */
export function planIpsets(
  desired: readonly IpsetSpec[],
  current: ReadonlyMap<string, IpsetSpec>,
  precedence: (name: string) => number = () => 0,
): IpsetPlan {
  const create: string[] = [];
  const swaps: string[] = [];
  const changedSets = new Set<string>();
  const adds: { set: string; entries: string[] }[] = [];
  const dels: { set: string; entries: string[] }[] = [];
  let changes = 0;
  for (const set of desired) {
    const existing = current.get(set.name);
    if (existing === undefined) {
      create.push(createLine(set.name, set), ...set.entries.map((entry) => `add ${set.name} ${entry}`));
      changes += set.entries.length + 1;
    } else if (existing.type !== set.type || existing.family !== set.family) {
      const temp = tempSetName(set.name);
      create.push(
        createLine(temp, set),
        `flush ${temp}`,
        ...set.entries.map((entry) => `add ${temp} ${entry}`),
      );
      swaps.push(`swap ${temp} ${set.name}`, `destroy ${temp}`);
      changedSets.add(set.name);
      changes += set.entries.length + 1;
    } else {
      const have = new Set(existing.entries);
      const want = new Set(set.entries);
      const added = set.entries.filter((entry) => !have.has(entry));
      const removed = existing.entries.filter((entry) => !want.has(entry));
      if (added.length > 0) adds.push({ set: set.name, entries: added });
      if (removed.length > 0) dels.push({ set: set.name, entries: removed });
      if (added.length + removed.length > 0) changedSets.add(set.name);
      changes += added.length + removed.length;
    }
  }
  const rank = (name: string) => {
    const position = precedence(name);
    return Number.isFinite(position) ? position : Number.MAX_SAFE_INTEGER;
  };
  adds.sort((a, b) => rank(a.set) - rank(b.set) || a.set.localeCompare(b.set));
  dels.sort((a, b) => rank(b.set) - rank(a.set) || b.set.localeCompare(a.set));
  const update = [
    ...adds.flatMap(({ set, entries }) => entries.map((entry) => `add ${set} ${entry}`)),
    ...dels.flatMap(({ set, entries }) => entries.map((entry) => `del ${set} ${entry}`)),
    ...swaps,
  ];
  const wanted = new Set(desired.map((set) => set.name));
  const stale = [...current.keys()].filter((name) => !wanted.has(name)).sort();
  changes += stale.length;
  return { create, update, destroy: stale.map((name) => `destroy ${name}`), changedSets, changes };
}

export interface IpsetScripts {
  /** Creates, adds, deletes and swaps, in one restore. */
  update: string;
  /** Destroys our sets no rule uses any more. */
  destroy: string;
  changes: number;
}

/** The plan as two restore inputs: what `render` prints, and a sync that changes no chain runs. */
export function ipsetScripts(
  desired: readonly IpsetSpec[],
  current: ReadonlyMap<string, IpsetSpec>,
  precedence?: (name: string) => number,
): IpsetScripts {
  const plan = planIpsets(desired, current, precedence);
  return {
    update: restoreInput([...plan.create, ...plan.update]),
    destroy: restoreInput(plan.destroy),
    changes: plan.changes,
  };
}

export function restoreInput(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function createLine(name: string, set: IpsetSpec): string {
  const family = set.family === 4 ? 'inet' : 'inet6';
  return `create ${name} ${set.type} family ${family} hashsize 1024 maxelem 1048576`;
}
