// Which iptables the host uses. Rules written with the other flavour would run in a separate ruleset whose
// order against the CNI's rules is undefined, so follow the host, as kube-proxy's iptables-wrapper does:
// the flavour holding more rules wins, nft on a tie (Debian's and most distributions' default).
import type { IPFamily } from '@egress-proxier/core';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import type { IptablesMode } from '../options.js';
import { countRules } from '../state/iptables-save.js';

export type IptablesFlavour = 'nft' | 'legacy';

export interface IptablesTools {
  flavour: IptablesFlavour;
  save(family: IPFamily): string;
  restore(family: IPFamily): string;
  iptables(family: IPFamily): string;
}

export function iptablesTools(flavour: IptablesFlavour): IptablesTools {
  const prefix = (family: IPFamily) => (family === 4 ? 'iptables' : 'ip6tables');
  return {
    flavour,
    save: (family) => `${prefix(family)}-${flavour}-save`,
    restore: (family) => `${prefix(family)}-${flavour}-restore`,
    iptables: (family) => `${prefix(family)}-${flavour}`,
  };
}

export async function detectFlavour(runner: CommandRunner, mode: IptablesMode): Promise<IptablesFlavour> {
  if (mode !== 'auto') return mode;
  const [nft, legacy] = await Promise.all([ruleCount(runner, 'nft'), ruleCount(runner, 'legacy')]);
  if (nft === undefined && legacy === undefined) {
    throw new Error('neither iptables-nft-save nor iptables-legacy-save could run: is iptables installed?');
  }
  return (legacy ?? -1) > (nft ?? -1) ? 'legacy' : 'nft';
}

async function ruleCount(runner: CommandRunner, flavour: IptablesFlavour): Promise<number | undefined> {
  try {
    return countRules(await runner.stdout(`iptables-${flavour}-save`));
  } catch {
    return undefined;
  }
}
