// Reads `ipset save` output into set specs, keeping only the sets whose names say they are ours.
import type { IpsetSpec, IpsetType } from '../model/desired-datapath.js';
import { withPrefix } from '../model/ipsets.js';

export function parseIpsetSave(text: string, prefix: string): Map<string, IpsetSpec> {
  const sets = new Map<string, IpsetSpec>();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const [verb, name, value] = words;
    if (name === undefined || !name.startsWith(prefix)) continue;
    if (verb === 'create' && value !== undefined) {
      const familyIndex = words.indexOf('family');
      const family = words[familyIndex + 1] === 'inet6' ? 6 : 4;
      sets.set(name, { name, type: value as IpsetType, family, entries: [] });
    } else if (verb === 'add' && value !== undefined) {
      const set = sets.get(name);
      if (set === undefined) continue;
      // ipset prints hash:net host entries without their /32 or /128.
      set.entries.push(set.type === 'hash:net' ? withPrefix(value) : value);
    }
  }
  for (const set of sets.values()) set.entries.sort();
  return sets;
}
