// The filter FORWARD chain in force while mangle and nat change (see apply/chain-transition.ts for the order
// and the argument): it drops every packet whose decision the change may touch, and treats all others exactly
// as the old and the new chains do.
import { CHAINS } from '../names.js';
import type { ChainBody, ChainRule, FamilyRuleset } from './desired-datapath.js';

export type TransitionDrops =
  /** The kernel's previous rules are known: drop what the rules that change (or whose sets change) match. */
  | { kind: 'changedRules'; rules: readonly ChainRule[] }
  /** They are not known (the kernel was read): drop everything from any of our source sets. */
  | { kind: 'allSources'; sourceSets: readonly string[] };

/**
 * The new ruleset's filter chains, FORWARD replaced by: the cluster-destination RETURN, a DROP per changed rule
 * (or source set), then the new FORWARD lines (guard, drops). Cluster destinations are never ours to drop.
 */
export function transitionFilterChains(next: FamilyRuleset, drops: TransitionDrops): ChainBody[] {
  return next.chains
    .filter((chain) => chain.table === 'filter')
    .map((chain) =>
      chain.chain === CHAINS.forward
        ? { ...chain, rules: [...next.clusterReturn, ...dropLines(drops), ...chain.rules] }
        : chain,
    );
}

function dropLines(drops: TransitionDrops): string[] {
  if (drops.kind === 'allSources') {
    return [...new Set(drops.sourceSets)].map(
      (set) =>
        `-m set --match-set ${set} src -m comment --comment "rules changing, previous unknown" -j DROP`,
    );
  }
  // A rule whose action changed is in both lists with the same match: one line drops it.
  const byMatch = new Map<string, string>();
  for (const rule of drops.rules) {
    if (!byMatch.has(rule.match)) {
      byMatch.set(
        rule.match,
        `${rule.match} -m comment --comment "rules changing: ${rule.description}" -j DROP`,
      );
    }
  }
  return [...byMatch.values()];
}
