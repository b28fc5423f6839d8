// The backend's flags (`--iptables-<name>` on the CLI): the options every node backend shares (see
// @egress-proxier/node-datapath and docs/node-datapath.md) plus the one about iptables itself.
import type { PluginOption, PluginOptionValues } from '@egress-proxier/core';
import {
  DEFAULT_NODE_OPTIONS,
  NODE_PLUGIN_OPTIONS,
  OptionReader,
  parseNodeOptions,
  type NodeDatapathOptions,
} from '@egress-proxier/node-datapath';

export type IptablesMode = 'auto' | 'nft' | 'legacy';

export interface IptablesOptions extends NodeDatapathOptions {
  iptablesMode: IptablesMode;
}

export const DEFAULT_OPTIONS: IptablesOptions = { ...DEFAULT_NODE_OPTIONS, iptablesMode: 'auto' };

export const PLUGIN_OPTIONS: Readonly<Record<string, PluginOption>> = {
  ...NODE_PLUGIN_OPTIONS,
  iptablesMode: {
    type: 'string',
    description: 'iptables flavour: auto detects which one holds the host rules',
    default: DEFAULT_OPTIONS.iptablesMode,
    choices: ['auto', 'nft', 'legacy'],
  },
};

/** Validates raw option values; throws OptionsError naming the flag at fault. */
export function parseOptions(values: PluginOptionValues): IptablesOptions {
  const read = new OptionReader(values, 'iptables');
  return {
    ...parseNodeOptions(values, 'iptables'),
    iptablesMode: read.choice(
      'iptablesMode',
      ['auto', 'nft', 'legacy'] as const,
      DEFAULT_OPTIONS.iptablesMode,
    ),
  };
}
