// `iptables-restore --noflush` input. Declaring a chain flushes it, so our chains are rewritten whole while every
// other chain on the host is left alone. Each table's COMMIT is its own transaction (iptables-nft and legacy
// alike): a script with several tables is NOT atomic, and a packet may meet one table's new rules and another's
// old ones. apply/chain-transition.ts orders the tables so that no such mix lets a packet out with a wrong source.
import type { ChainBody, FamilyRuleset, JumpRule } from '../model/desired-datapath.js';
import { TABLES, type IptablesTable } from '../names.js';

/** A change to a built-in chain's jump to one of ours, decided from what the kernel holds. */
export type JumpChange =
  | { kind: 'insert'; jump: JumpRule }
  /** Removes a jump as the kernel printed it (e.g. a duplicate or one that is no longer first). */
  | { kind: 'delete'; table: JumpRule['table']; builtin: string; spec: string };

/** The whole ruleset in one script, table after table: what `render` prints. */
export function iptablesRestoreScript(ruleset: FamilyRuleset, jumpChanges: readonly JumpChange[]): string {
  return restoreScript(ruleset.chains, jumpChanges, TABLES);
}

/** A script that rewrites `chains` and applies `jumpChanges`, for the given tables only (one COMMIT each). */
export function restoreScript(
  chains: readonly ChainBody[],
  jumpChanges: readonly JumpChange[],
  tables: readonly IptablesTable[],
): string {
  const lines: string[] = [];
  for (const table of TABLES) {
    if (!tables.includes(table)) continue;
    const ofTable = chains.filter((chain) => chain.table === table);
    if (ofTable.length === 0) continue;
    lines.push(`*${table}`);
    for (const chain of ofTable) lines.push(`:${chain.chain} - [0:0]`);
    // Deletes first, then inserts: a misplaced jump is removed and put back at position 1 in one transaction.
    for (const change of jumpChanges) {
      if (change.kind === 'delete' && change.table === table)
        lines.push(`-D ${change.builtin} ${change.spec}`);
    }
    for (const change of jumpChanges) {
      if (change.kind === 'insert' && change.jump.table === table) {
        lines.push(`-I ${change.jump.builtin} 1 ${change.jump.spec}`);
      }
    }
    for (const chain of ofTable) for (const rule of chain.rules) lines.push(`-A ${chain.chain} ${rule}`);
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}

/** Jump changes for a kernel that has none of our jumps: what a fresh node, and `render`, get. */
export function freshJumps(ruleset: FamilyRuleset): JumpChange[] {
  return ruleset.jumps.map((jump) => ({ kind: 'insert', jump }));
}

/** The chain bodies alone, to tell whether a sync changes any rule. */
export function rulesetFingerprint(ruleset: FamilyRuleset): string {
  return ruleset.chains.map((chain) => `${chain.table}/${chain.chain}\n${chain.rules.join('\n')}`).join('\n');
}
