// The backend's flags (`--nftables-<name>` on the CLI): exactly the options every node backend shares (see
// @egress-proxier/node-datapath and docs/node-datapath.md). nft has no flavours to choose from.
import type { PluginOption, PluginOptionValues } from '@egress-proxier/core/plugin';
import {
  DEFAULT_NODE_OPTIONS,
  NODE_PLUGIN_OPTIONS,
  parseNodeOptions,
  type NodeDatapathOptions,
} from '@egress-proxier/node-datapath';

export type NftablesOptions = NodeDatapathOptions;

export const DEFAULT_OPTIONS: NftablesOptions = { ...DEFAULT_NODE_OPTIONS };

export const PLUGIN_OPTIONS: Readonly<Record<string, PluginOption>> = { ...NODE_PLUGIN_OPTIONS };

/** Validates raw option values; throws OptionsError naming the flag at fault. */
export function parseOptions(values: PluginOptionValues): NftablesOptions {
  return parseNodeOptions(values, 'nftables');
}
