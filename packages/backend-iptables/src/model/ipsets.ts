// The ipsets a table needs: one hash:ip per source set, one hash:net per distinct exclusion list, one hash:net
// of cluster CIDRs per family. Rule count then grows with policies, not with pods.
import type { IPFamily, NodeEgressTable } from '@egress-proxier/core';
import { clusterSetName, excludedSetName, sourceSetName } from '../names.js';
import type { IpsetSpec } from './desired-datapath.js';

export function desiredIpsets(table: NodeEgressTable): IpsetSpec[] {
  const sets = new Map<string, IpsetSpec>();
  const usedSourceSets = new Set(table.rules.map((rule) => rule.sourceSet));
  for (const sourceSet of table.sourceSets) {
    if (!usedSourceSets.has(sourceSet.id)) continue;
    const name = sourceSetName(sourceSet.id);
    sets.set(name, {
      name,
      type: 'hash:ip',
      family: sourceSet.family,
      entries: [...sourceSet.addresses].sort(),
    });
  }
  for (const rule of table.rules) {
    if (!sets.has(sourceSetName(rule.sourceSet))) {
      throw new Error(`rule of policy ${rule.policy} refers to unknown source set ${rule.sourceSet}`);
    }
    if (rule.excludedCIDRs.length === 0) continue;
    const name = excludedSetName(rule.family, rule.excludedCIDRs);
    sets.set(name, { name, type: 'hash:net', family: rule.family, entries: [...rule.excludedCIDRs].sort() });
  }
  for (const family of [4, 6] as const) {
    const cidrs = table.clusterCIDRs.filter((cidr) => cidrFamily(cidr) === family);
    if (cidrs.length === 0) continue;
    const name = clusterSetName(family);
    sets.set(name, { name, type: 'hash:net', family, entries: cidrs.map(withPrefix).sort() });
  }
  return [...sets.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function cidrFamily(cidr: string): IPFamily {
  return cidr.includes(':') ? 6 : 4;
}

/** hash:net entries always carry a prefix length, the form we compare kernel state in. */
export function withPrefix(cidr: string): string {
  return cidr.includes('/') ? cidr : `${cidr}/${cidrFamily(cidr) === 4 ? 32 : 128}`;
}
