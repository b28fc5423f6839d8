// Makes the kernel match a DesiredDatapath, starting from a KernelView, with the minimum of commands and in an
// order whose every intermediate state is safe: everything a rule refers to (sets, routes, addresses) exists
// before the restore that uses it, what is no longer used goes only after the last one, and chains that change
// go through the transition of chain-transition.ts, with set members changing inside its window.
import { prepareNode, retireNode, type NodeApplyContext, type Run } from '@egress-proxier/node-datapath';
import type { Logger } from 'pino';
import type { DesiredDatapath } from '../model/desired-datapath.js';
import { transitionFilterChains } from '../model/transition-chain.js';
import { CHAINS, clusterSetName } from '../names.js';
import { planIpsets, restoreInput } from '../render/ipset-script.js';
import { restoreScript } from '../render/iptables-script.js';
import { planChainChange } from './chain-transition.js';
import type { IptablesTools } from './iptables-flavour.js';
import type { KernelView } from './kernel-view.js';

export interface ApplyContext extends NodeApplyContext {
  tools: IptablesTools;
  logger: Logger;
}

export interface ApplyOutcome {
  /** Commands run; zero means the kernel already matched. */
  commands: number;
  ipsetChanges: number;
}

export async function applyDatapath(
  context: ApplyContext,
  desired: DesiredDatapath,
  view: KernelView,
): Promise<ApplyOutcome> {
  let commands = 0;
  const run: Run = async (command, input) => {
    commands++;
    await context.runner.run(command, input === undefined ? {} : { input });
  };
  const ipsetRestore = async (lines: readonly string[]) => {
    if (lines.length > 0) await run({ command: 'ipset', args: ['restore', '-exist'] }, restoreInput(lines));
  };
  const sets = planIpsets(desired.ipsets, view.ipsets, setPrecedence(desired));
  const transitions = desired.rulesets.flatMap((ruleset) => {
    const change = planChainChange({
      desired: ruleset,
      known: view.iptables.get(ruleset.family),
      kernelSets: view.ipsets,
      changedSets: sets.changedSets,
    });
    return change.kind === 'transition' ? [{ ruleset, ...change }] : [];
  });

  // What the chains will use: the VXLAN device, new sets, routes and rules, addresses. Members of sets in use
  // change here when no chain changes, otherwise inside the transition window below.
  // (awaited first: `commands += await …` would add to the count read before the awaited runs.)
  const addressExecs = await prepareNode(run, context, desired, view);
  commands += addressExecs;
  await ipsetRestore(transitions.length === 0 ? [...sets.create, ...sets.update] : sets.create);

  // Chains that change: T1 (filter, transition chain) for every family, set members, T2 (mangle, nat), T3 (filter).
  const restore = (family: 4 | 6, script: string) =>
    run({ command: context.tools.restore(family), args: ['-w', '--noflush'] }, script);
  for (const { ruleset, drops, jumps } of transitions) {
    await restore(ruleset.family, restoreScript(transitionFilterChains(ruleset, drops), jumps, ['filter']));
  }
  if (transitions.length > 0) await ipsetRestore(sets.update);
  for (const { ruleset, jumps } of transitions) {
    await restore(ruleset.family, restoreScript(ruleset.chains, jumps, ['mangle', 'nat']));
  }
  // T1 wrote every other filter chain in its new form already; T3 only replaces the transition chain.
  for (const { ruleset } of transitions) {
    const forward = ruleset.chains.filter(
      (chain) => chain.table === 'filter' && chain.chain === CHAINS.forward,
    );
    await restore(ruleset.family, restoreScript(forward, [], ['filter']));
  }

  // What no rule refers to any more.
  const withdrawExecs = await retireNode(run, context, desired, view);
  commands += withdrawExecs;
  await ipsetRestore(sets.destroy);
  return { commands, ipsetChanges: sets.changes };
}

/** Position of the first rule using each set (per family); the cluster sets, consulted first, come before all. */
function setPrecedence(desired: DesiredDatapath): (name: string) => number {
  const positions = new Map<string, number>();
  for (const ruleset of desired.rulesets) {
    ruleset.rules.forEach((rule, index) => {
      for (const set of rule.sets) if (!positions.has(set)) positions.set(set, index);
    });
  }
  const clusterSets = new Set([clusterSetName(4), clusterSetName(6)]);
  return (name) => (clusterSets.has(name) ? -1 : (positions.get(name) ?? Infinity));
}
