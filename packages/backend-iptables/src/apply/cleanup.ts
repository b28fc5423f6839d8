// `cleanup`: removes exactly what this backend creates, in both iptables flavours (the host may have switched
// since), and nothing else: jumps to and our EGRESS-PROXIER-* chains, EGP-* ipsets, fwmark rules and routes of
// our table range, the VXLAN device, and our egress addresses (see ownership.ts).
import type { IPFamily } from '@egress-proxier/core';
import { CHAIN_PREFIX, IPSET_PREFIX, TABLES } from '../names.js';
import type { IptablesOptions } from '../options.js';
import { addressDelete, routeFlush, ruleDelete, vxlanDelete } from '../render/commands.js';
import { parseRoutes, parseRules } from '../state/ip-json.js';
import { parseIpsetSave } from '../state/ipset-save.js';
import { jumpTarget, parseIptablesSave } from '../state/iptables-save.js';
import type { CommandRunner } from './command-runner.js';
import { iptablesTools, type IptablesFlavour } from './iptables-flavour.js';
import { readOwnedAddresses, readVxlan } from './kernel-view.js';
import { isOurRoute, isOurRule } from './ownership.js';

export async function cleanupAll(
  runner: CommandRunner,
  options: IptablesOptions,
  uplink: string | undefined,
): Promise<void> {
  for (const flavour of ['nft', 'legacy'] as const) {
    for (const family of [4, 6] as const) await removeChains(runner, flavour, family);
  }
  const sets = parseIpsetSave(await runner.stdout('ipset', 'save'), IPSET_PREFIX);
  if (sets.size > 0) {
    const script = [...sets.keys()].map((name) => `destroy ${name}\n`).join('');
    await runner.run({ command: 'ipset', args: ['restore', '-exist'] }, { input: script });
  }
  for (const family of [4, 6] as const) {
    const rules = parseRules(await runner.stdout('ip', '-j', `-${family}`, 'rule', 'show'), family);
    for (const rule of rules.filter((candidate) => isOurRule(candidate, options)))
      await runner.run(ruleDelete(rule));
    const routes = parseRoutes(
      await runner.stdout('ip', '-j', `-${family}`, 'route', 'show', 'table', 'all'),
      family,
    );
    const tables = new Set(routes.filter((route) => isOurRoute(route, options)).map((route) => route.table));
    for (const table of tables) await runner.run(routeFlush(family, table));
  }
  if ((await readVxlan(runner, options.vxlanDevice)).exists)
    await runner.run(vxlanDelete(options.vxlanDevice));
  if (uplink !== undefined) {
    const addresses = await readOwnedAddresses(runner, uplink);
    await runner.runIpBatch(
      addresses.map((address) => addressDelete(`${address.local}/${address.prefixLength}`, address.device)),
    );
  }
}

async function removeChains(
  runner: CommandRunner,
  flavour: IptablesFlavour,
  family: IPFamily,
): Promise<void> {
  const tools = iptablesTools(flavour);
  let text: string;
  try {
    text = await runner.stdout(tools.save(family));
  } catch {
    return; // this flavour or family is not available on the host: nothing of ours can be there
  }
  const saved = parseIptablesSave(text);
  const lines: string[] = [];
  for (const table of TABLES) {
    const content = saved.get(table);
    if (content === undefined) continue;
    const ours = [...content.chains].filter((chain) => chain.startsWith(CHAIN_PREFIX));
    const jumps = [...content.rules].flatMap(([chain, specs]) =>
      chain.startsWith(CHAIN_PREFIX)
        ? []
        : specs
            .filter((spec) => jumpTarget(spec)?.startsWith(CHAIN_PREFIX))
            .map((spec) => `-D ${chain} ${spec}`),
    );
    if (ours.length === 0 && jumps.length === 0) continue;
    lines.push(
      `*${table}`,
      ...ours.map((chain) => `:${chain} - [0:0]`),
      ...jumps,
      ...ours.map((chain) => `-X ${chain}`),
      'COMMIT',
    );
  }
  if (lines.length === 0) return;
  await runner.run(
    { command: tools.restore(family), args: ['-w', '--noflush'] },
    { input: `${lines.join('\n')}\n` },
  );
}
