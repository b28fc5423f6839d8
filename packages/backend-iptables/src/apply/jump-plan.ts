// Decides, from the kernel's ruleset, which jumps from built-in chains to ours must be inserted or deleted:
// missing jumps are inserted at position 1, duplicates removed, and a nat POSTROUTING jump that is no longer
// first (another tool inserted before it) is moved back to the top in the same restore.
import type { FamilyRuleset } from '../model/desired-datapath.js';
import type { JumpChange } from '../render/iptables-script.js';
import { jumpTarget, savedRules, type SavedRuleset } from '../state/iptables-save.js';

export function planJumps(ruleset: FamilyRuleset, saved: SavedRuleset): JumpChange[] {
  const changes: JumpChange[] = [];
  for (const jump of ruleset.jumps) {
    const rules = savedRules(saved, jump.table, jump.builtin);
    const positions = rules.flatMap((spec, index) => (jumpTarget(spec) === jump.target ? [index] : []));
    const keepFirst = positions[0] === 0 || (!jump.mustBeFirst && positions.length > 0);
    const keep = keepFirst ? positions[0] : undefined;
    for (const index of positions) {
      if (index === keep) continue;
      changes.push({ kind: 'delete', table: jump.table, builtin: jump.builtin, spec: rules[index] ?? '' });
    }
    if (keep === undefined) changes.push({ kind: 'insert', jump });
  }
  return changes;
}
