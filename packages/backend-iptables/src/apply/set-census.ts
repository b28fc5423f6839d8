// Cheap per-sync drift check for our ipsets, the sets' counterpart of the chains' canary: `ipset list -t` prints
// each set's header (name, type, family, entry count) without its members, so it costs the same for ten
// entries and for a hundred thousand. A set missing, added, of another type or family, or with another number
// of entries than we last applied means someone changed it, and the sync re-reads the sets in full
// (`ipset save`) and restores them by difference.
import type { CommandRunner } from '@egress-proxier/node-datapath';
import type { IpsetSpec } from '../model/desired-datapath.js';
import { IPSET_PREFIX } from '../names.js';

interface SetHeader {
  type: string;
  family: 4 | 6;
  entries: number;
}

export async function setsDrifted(
  runner: CommandRunner,
  expected: ReadonlyMap<string, IpsetSpec>,
): Promise<string[]> {
  const held = parseTerseList(await runner.stdout('ipset', 'list', '-t'));
  const problems: string[] = [];
  for (const [name, set] of expected) {
    const header = held.get(name);
    if (header === undefined) problems.push(`set ${name} missing`);
    else if (header.type !== set.type || header.family !== set.family)
      problems.push(`set ${name} changed type`);
    else if (header.entries !== set.entries.length) {
      problems.push(`set ${name} holds ${header.entries} entries, not ${set.entries.length}`);
    }
  }
  for (const name of held.keys()) if (!expected.has(name)) problems.push(`unexpected set ${name}`);
  return problems;
}

/** Our sets' headers from `ipset list -t`. */
export function parseTerseList(text: string): Map<string, SetHeader> {
  const sets = new Map<string, SetHeader>();
  let name: string | undefined;
  for (const line of text.split('\n')) {
    const [key = '', ...rest] = line.split(':');
    const value = rest.join(':').trim();
    if (key === 'Name') {
      name = value.startsWith(IPSET_PREFIX) ? value : undefined;
      if (name !== undefined) sets.set(name, { type: '', family: 4, entries: 0 });
      continue;
    }
    const set = name === undefined ? undefined : sets.get(name);
    if (set === undefined) continue;
    if (key === 'Type') set.type = value;
    else if (key === 'Header') set.family = /\bfamily inet6\b/.test(value) ? 6 : 4;
    else if (key === 'Number of entries') set.entries = Number(value);
  }
  return sets;
}
