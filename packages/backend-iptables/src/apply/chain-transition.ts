// How one family's chains change from what the kernel holds to the desired ones, so that every state the
// kernel passes through is safe.
//
// iptables-restore commits each table on its own (nft and legacy alike), and a packet meets mangle (marks),
// filter (drops) and nat (SNAT, and the ACCEPT that keeps steered packets from the CNI's MASQUERADE) in turn.
// Rewriting the three tables in one restore therefore had moments where a packet was neither steered nor
// dropped nor SNATed (new mangle without the mark, old nat without the snat rule), and the CNI masqueraded it
// with the node IP. So when chain bodies change, a family goes through three restores:
//
//   T1  filter only, FORWARD = the transition chain: cluster-destination RETURN, a DROP for every rule that
//       changes (in the old table or the new one but not in both, in the same relative order), then the new
//       FORWARD lines;
//       ipset additions, then deletions (a rule whose set changes members counts as changing);
//   T2  mangle and nat, new (each still its own transaction, in either order);
//   T3  filter FORWARD, new (T1 wrote the other filter chains in their new form already).
//
// Why every intermediate state is safe: a packet that matches no changing rule has the same first match in the
// old and the new table (the unchanged rules keep their order, and their sets their members), so every version
// of every table decides it the same, whatever mix of versions it meets. A packet that matches a changing rule
// is dropped by the transition chain for as long as mangle, nat or its sets may disagree (T1 to T3); before T1
// it meets only old tables, after T3 only new ones. When the old rules are not known (the kernel was read and
// its chains differ: a restarted agent after an upgrade, a repair after a flush), the transition chain drops
// everything from any of our source sets instead. A table's commit changes that table only, so a packet that
// traverses the hooks while one commit lands sees either the state before or after it; a packet takes
// microseconds, a restore milliseconds, so none straddles two.
//
// Chains whose bodies do not change need no restore (a sync that only changes set members is one ipset restore:
// additions before deletions, see render/ipset-script.ts).
import type { ChainRule, FamilyRuleset, IpsetSpec } from '../model/desired-datapath.js';
import { changedRules } from '../model/rule-changes.js';
import type { TransitionDrops } from '../model/transition-chain.js';
import { isSourceSetName } from '../names.js';
import { freshJumps, rulesetFingerprint, type JumpChange } from '../render/iptables-script.js';
import { canonicalRule } from '../state/rule-text.js';
import type { SavedRuleset } from '../state/iptables-save.js';
import { planJumps } from './jump-plan.js';
import type { FamilyChainsView } from './kernel-view.js';

export type ChainChange =
  { kind: 'none' } | { kind: 'transition'; drops: TransitionDrops; jumps: JumpChange[] };

export interface ChainChangeInputs {
  desired: FamilyRuleset;
  /** What we know of this family's chains; undefined: we never wrote any and the kernel had none. */
  known: FamilyChainsView | undefined;
  /** Our sets in the kernel before this sync. */
  kernelSets: ReadonlyMap<string, IpsetSpec>;
  /** Existing sets whose members this sync changes. */
  changedSets: ReadonlySet<string>;
}

export function planChainChange({ desired, known, kernelSets, changedSets }: ChainChangeInputs): ChainChange {
  if (known === undefined) {
    return {
      kind: 'transition',
      drops: changing([], desired.rules, changedSets),
      jumps: freshJumps(desired),
    };
  }
  if (known.kind === 'applied') {
    if (rulesetFingerprint(known.ruleset) === rulesetFingerprint(desired)) return { kind: 'none' };
    return {
      kind: 'transition',
      drops: changing(known.ruleset.rules, desired.rules, changedSets),
      jumps: [],
    };
  }
  if (known.saved === undefined) {
    return { kind: 'transition', drops: allSources(desired, kernelSets), jumps: [] };
  }
  const jumps = planJumps(desired, known.saved);
  if (jumps.length === 0 && chainsMatch(known.saved, desired)) return { kind: 'none' };
  // No chain of ours at all: the kernel holds no rule of ours, so the old rules are known to be none.
  const drops = known.present ? allSources(desired, kernelSets) : changing([], desired.rules, changedSets);
  return { kind: 'transition', drops, jumps };
}

function changing(
  previous: readonly ChainRule[],
  next: readonly ChainRule[],
  changedSets: ReadonlySet<string>,
): TransitionDrops {
  const membersChange = (rule: ChainRule) => rule.sets.some((set) => changedSets.has(set));
  const rules = [
    ...changedRules(previous, next),
    ...previous.filter(membersChange),
    ...next.filter(membersChange),
  ];
  // A rule in both lists (its set changes members) is one rule.
  return { kind: 'changedRules', rules: [...new Map(rules.map((rule) => [rule.key, rule])).values()] };
}

function allSources(desired: FamilyRuleset, kernelSets: ReadonlyMap<string, IpsetSpec>): TransitionDrops {
  const held = [...kernelSets.values()]
    .filter((set) => set.family === desired.family && isSourceSetName(set.name))
    .map((set) => set.name);
  const wanted = desired.rules.map((rule) => rule.sourceSet);
  return { kind: 'allSources', sourceSets: [...new Set([...held, ...wanted])].sort() };
}

/** Whether the kernel's chains (as iptables-save printed them) already are exactly the desired ones. */
function chainsMatch(saved: SavedRuleset, desired: FamilyRuleset): boolean {
  return desired.chains.every((chain) => {
    const table = saved.get(chain.table);
    if (table?.chains.has(chain.chain) !== true) return false;
    const held = table.rules.get(chain.chain) ?? [];
    return (
      held.length === chain.rules.length &&
      held.every((spec, index) => canonicalRule(spec) === canonicalRule(chain.rules[index] ?? ''))
    );
  });
}
