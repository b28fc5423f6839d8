// The nftables backend as a plugin: `--backend nftables` loads this module's default export.
import { createProxierPlugin } from '@egress-proxier/core/plugin';
import { nodePreflightChecks } from '@egress-proxier/node-datapath';
import { nftPreflightChecks } from './apply/nft-preflight.js';
import { parseOptions, PLUGIN_OPTIONS } from './options.js';
import { NftablesProxier } from './proxier.js';
import { renderDatapath } from './render/render-datapath.js';

export const plugin = createProxierPlugin({
  name: 'nftables',
  scope: 'node',
  description:
    'one nftables inet table: interval maps classify pod traffic, SNAT by map on gateways, fwmark policy routing (on-link or VXLAN) from other nodes',
  capabilities: ['sharedAddress', 'destinationCIDRs', 'multipleEgressIPs', 'ipv6', 'failover', 'failClosed'],
  options: PLUGIN_OPTIONS,
  render: (table, options) => renderDatapath(table, parseOptions(options)),
  preflight: async (context, signal) => {
    const options = parseOptions(context.options);
    const [node, nft] = await Promise.all([
      Promise.all(nodePreflightChecks(context.exec, options, signal)),
      nftPreflightChecks(context.exec, options, signal),
    ]);
    return { checks: [...nft, ...node] };
  },
  create: (context) => new NftablesProxier(context, parseOptions(context.options)),
});
