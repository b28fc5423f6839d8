// The kernel state of everything we own: the node-level part (rules, routes, addresses, VXLAN and FDB, read by
// node-datapath) plus our chains and sets. All of it is read at the first sync (a restarted agent adopts what
// is there) and after drift of our chains; the node-level part and the set census are re-read on every sync
// (see proxier.ts), the chains stand on the canary in between.
import type { IPFamily } from '@egress-proxier/core';
import {
  nodeViewOfApplied,
  readNodeKernelView,
  type CommandRunner,
  type NodeKernelView,
} from '@egress-proxier/node-datapath';
import type { DesiredDatapath, FamilyRuleset, IpsetSpec } from '../model/desired-datapath.js';
import { CHAIN_PREFIX, IPSET_PREFIX } from '../names.js';
import type { IptablesOptions } from '../options.js';
import { parseIpsetSave } from '../state/ipset-save.js';
import { parseIptablesSave, type SavedRuleset } from '../state/iptables-save.js';
import type { IptablesTools } from './iptables-flavour.js';

/** What we know of our chains in one family. */
export type FamilyChainsView =
  /**
   * Read from the kernel (`saved` undefined: this family's tools could not run, e.g. no IPv6). Which rules our
   * chains held is not known, only what the kernel printed.
   */
  | { kind: 'read'; saved: SavedRuleset | undefined; present: boolean }
  /** Exactly what this process last applied, no drift found since. */
  | { kind: 'applied'; ruleset: FamilyRuleset };

export interface KernelView extends NodeKernelView {
  ipsets: Map<string, IpsetSpec>;
  iptables: Map<IPFamily, FamilyChainsView>;
}

export async function readKernelView(
  runner: CommandRunner,
  tools: IptablesTools,
  options: IptablesOptions,
  uplink: string,
): Promise<KernelView> {
  const iptables = new Map<IPFamily, FamilyChainsView>();
  for (const family of [4, 6] as const) {
    const saved = await readSaved(runner, tools, family);
    const present = [...(saved?.values() ?? [])].some((table) =>
      [...table.chains].some((chain) => chain.startsWith(CHAIN_PREFIX)),
    );
    iptables.set(family, { kind: 'read', saved, present });
  }
  const ipsets = await readIpsets(runner);
  return { ipsets, iptables, ...(await readNodeKernelView(runner, options, uplink)) };
}

export async function readIpsets(runner: CommandRunner): Promise<Map<string, IpsetSpec>> {
  return parseIpsetSave(await runner.stdout('ipset', 'save'), IPSET_PREFIX);
}

async function readSaved(runner: CommandRunner, tools: IptablesTools, family: IPFamily) {
  try {
    return parseIptablesSave(await runner.stdout(tools.save(family)));
  } catch (error) {
    // Without IPv6 support on the host, ip6tables-save fails; IPv4 must work.
    if (family === 4) throw error;
    return undefined;
  }
}

/** What the kernel holds after `desired` was applied successfully to `from`. */
export function viewOfApplied(desired: DesiredDatapath, from: Pick<NodeKernelView, 'ipvs'>): KernelView {
  const iptables = new Map<IPFamily, FamilyChainsView>(
    desired.rulesets.map((ruleset) => [ruleset.family, { kind: 'applied', ruleset }]),
  );
  return {
    ipsets: new Map(desired.ipsets.map((set) => [set.name, set])),
    iptables,
    ...nodeViewOfApplied(desired, from.ipvs),
  };
}
