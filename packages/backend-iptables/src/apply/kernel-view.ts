// The kernel state of everything we own, read at the first sync (a restarted agent adopts what is there)
// and after drift is detected; between those, the last applied state stands in for it.
import type { IPFamily } from '@egress-proxier/core';
import type { DesiredDatapath, FamilyRuleset, IpsetSpec } from '../model/desired-datapath.js';
import { CHAIN_PREFIX, IPSET_PREFIX } from '../names.js';
import type { IptablesOptions } from '../options.js';
import { VXLAN_DEVICE_ADDRESS } from '../render/commands.js';
import {
  parseAddresses,
  parseFloodRemotes,
  parseLinks,
  parseRoutes,
  parseRules,
  type KernelAddress,
  type KernelRoute,
  type KernelRule,
} from '../state/ip-json.js';
import { parseIpsetSave } from '../state/ipset-save.js';
import { parseIptablesSave, type SavedRuleset } from '../state/iptables-save.js';
import type { CommandRunner } from './command-runner.js';
import type { IptablesTools } from './iptables-flavour.js';
import { isOurAddress, isOurRoute, isOurRule } from './ownership.js';

/** What we know of our chains in one family. */
export type FamilyChainsView =
  /**
   * Read from the kernel (`saved` undefined: this family's tools could not run, e.g. no IPv6). Which rules our
   * chains held is not known, only what the kernel printed.
   */
  | { kind: 'read'; saved: SavedRuleset | undefined; present: boolean }
  /** Exactly what this process last applied, no drift found since. */
  | { kind: 'applied'; ruleset: FamilyRuleset };

export interface KernelView {
  ipsets: Map<string, IpsetSpec>;
  iptables: Map<IPFamily, FamilyChainsView>;
  rules: KernelRule[];
  routes: KernelRoute[];
  addresses: KernelAddress[];
  vxlan: VxlanView;
}

export interface VxlanView {
  exists: boolean;
  /** Flood entries' remote VTEPs. */
  remotes: string[];
  /** Whether the device holds VXLAN_DEVICE_ADDRESS (devices made by older versions do not). */
  addressed: boolean;
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
  const ipsets = parseIpsetSave(await runner.stdout('ipset', 'save'), IPSET_PREFIX);
  const rules: KernelRule[] = [];
  const routes: KernelRoute[] = [];
  for (const family of [4, 6] as const) {
    rules.push(...parseRules(await runner.stdout('ip', '-j', `-${family}`, 'rule', 'show'), family));
    routes.push(
      ...parseRoutes(await runner.stdout('ip', '-j', `-${family}`, 'route', 'show', 'table', 'all'), family),
    );
  }
  const addresses = await readOwnedAddresses(runner, uplink);
  const vxlan = await readVxlan(runner, options.vxlanDevice);
  return {
    ipsets,
    iptables,
    rules: rules.filter((rule) => isOurRule(rule, options)),
    routes: routes.filter((route) => isOurRoute(route, options)),
    addresses,
    vxlan,
  };
}

/** The egress addresses on the uplink that are ours (see ownership.ts). */
export async function readOwnedAddresses(runner: CommandRunner, uplink: string): Promise<KernelAddress[]> {
  const addresses = parseAddresses(await runner.stdout('ip', '-j', 'addr', 'show', 'dev', uplink));
  return addresses.filter((address) => isOurAddress(address, uplink));
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

export async function readVxlan(runner: CommandRunner, device: string): Promise<VxlanView> {
  const result = await runner.run(
    { command: 'ip', args: ['-j', '-d', 'link', 'show', 'dev', device] },
    { allowedExitCodes: [1] },
  );
  const link = result.exitCode === 0 ? parseLinks(result.stdout)[0] : undefined;
  if (link?.kind !== 'vxlan') return { exists: false, remotes: [], addressed: false };
  const fdb = await runner.stdout('bridge', '-j', 'fdb', 'show', 'dev', device);
  const addresses = parseAddresses(await runner.stdout('ip', '-j', '-4', 'addr', 'show', 'dev', device));
  return {
    exists: true,
    remotes: parseFloodRemotes(fdb),
    addressed: addresses.some((address) => address.local === VXLAN_DEVICE_ADDRESS),
  };
}

/** What the kernel holds after `desired` was applied successfully. */
export function viewOfApplied(desired: DesiredDatapath): KernelView {
  const iptables = new Map<IPFamily, FamilyChainsView>(
    desired.rulesets.map((ruleset) => [ruleset.family, { kind: 'applied', ruleset }]),
  );
  return {
    ipsets: new Map(desired.ipsets.map((set) => [set.name, set])),
    iptables,
    rules: desired.routes.map((route) => ({
      family: route.family,
      priority: route.priority,
      mark: route.mark,
      mask: route.mask,
      table: route.table,
    })),
    routes: desired.routes.flatMap((route) => [
      {
        family: route.family,
        table: route.table,
        type: 'unicast',
        dst: 'default',
        via: route.via,
        device: route.device,
      },
      ...(route.tunnelEndpoint === undefined
        ? []
        : [
            {
              family: route.family,
              table: route.table,
              type: 'throw',
              dst: route.tunnelEndpoint,
              via: undefined,
              device: undefined,
            },
          ]),
    ]),
    addresses: desired.addresses.map((address) => ({
      device: address.device,
      family: address.family,
      local: address.ip,
      prefixLength: address.family === 4 ? 32 : 128,
      label: address.label,
      dynamic: true,
      nodad: address.family === 6,
    })),
    vxlan: {
      exists: desired.vxlan !== undefined,
      remotes: desired.vxlan?.remotes ?? [],
      addressed: desired.vxlan !== undefined,
    },
  };
}
