// `cleanup`: removes exactly what this backend creates, in both iptables flavours (the host may have switched
// since), and nothing else: jumps to and our EGRESS-PROXIER-* chains, EGP-* ipsets, then the node-level state
// (fwmark rules and routes of our table range, the VXLAN device, our egress addresses: node-datapath's
// cleanupNode).
import type { IPFamily } from '@egress-proxier/core';
import { cleanupNode, type CommandRunner } from '@egress-proxier/node-datapath';
import { CHAIN_PREFIX, TABLES } from '../names.js';
import type { IptablesOptions } from '../options.js';
import { jumpTarget, parseIptablesSave } from '../state/iptables-save.js';
import { iptablesTools, type IptablesFlavour } from './iptables-flavour.js';
import { readIpsets } from './kernel-view.js';

export async function cleanupAll(
  runner: CommandRunner,
  options: IptablesOptions,
  uplink: string | undefined,
): Promise<void> {
  for (const flavour of ['nft', 'legacy'] as const) {
    for (const family of [4, 6] as const) await removeChains(runner, flavour, family);
  }
  const sets = await readIpsets(runner);
  if (sets.size > 0) {
    const script = [...sets.keys()].map((name) => `destroy ${name}\n`).join('');
    await runner.run({ command: 'ipset', args: ['restore', '-exist'] }, { input: script });
  }
  await cleanupNode(runner, options, uplink);
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
