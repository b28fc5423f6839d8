// `ipset restore -exist` input that turns the current sets into the desired ones by difference: new sets are
// created and filled, changed sets get only their added and removed entries, and a set whose type or family
// must change is built aside and swapped in, so a set in use is never empty.
import type { IpsetSpec } from '../model/desired-datapath.js';
import { tempSetName } from '../names.js';

export interface IpsetScripts {
  /** Creates, adds, deletes and swaps; runs before iptables-restore so every set a rule names exists. */
  update: string;
  /** Destroys our sets no rule uses any more; runs after iptables-restore dropped the references. */
  destroy: string;
  /** Entries added plus removed, for metrics and "did anything change". */
  changes: number;
}

export function ipsetScripts(
  desired: readonly IpsetSpec[],
  current: ReadonlyMap<string, IpsetSpec>,
): IpsetScripts {
  const update: string[] = [];
  let changes = 0;
  for (const set of desired) {
    const existing = current.get(set.name);
    if (existing === undefined) {
      update.push(createLine(set.name, set), ...set.entries.map((entry) => `add ${set.name} ${entry}`));
      changes += set.entries.length + 1;
    } else if (existing.type !== set.type || existing.family !== set.family) {
      const temp = tempSetName(set.name);
      update.push(
        createLine(temp, set),
        `flush ${temp}`,
        ...set.entries.map((entry) => `add ${temp} ${entry}`),
        `swap ${temp} ${set.name}`,
        `destroy ${temp}`,
      );
      changes += set.entries.length + 1;
    } else {
      const have = new Set(existing.entries);
      const want = new Set(set.entries);
      const adds = set.entries.filter((entry) => !have.has(entry));
      const dels = existing.entries.filter((entry) => !want.has(entry));
      update.push(
        ...adds.map((entry) => `add ${set.name} ${entry}`),
        ...dels.map((entry) => `del ${set.name} ${entry}`),
      );
      changes += adds.length + dels.length;
    }
  }
  const wanted = new Set(desired.map((set) => set.name));
  const stale = [...current.keys()].filter((name) => !wanted.has(name)).sort();
  changes += stale.length;
  return { update: script(update), destroy: script(stale.map((name) => `destroy ${name}`)), changes };
}

function createLine(name: string, set: IpsetSpec): string {
  const family = set.family === 4 ? 'inet' : 'inet6';
  return `create ${name} ${set.type} family ${family} hashsize 1024 maxelem 1048576`;
}

function script(lines: string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
