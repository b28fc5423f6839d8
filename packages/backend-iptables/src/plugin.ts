// The iptables backend as a plugin: `--backend iptables` loads this module's default export.
import { createProxierPlugin } from '@egress-proxier/core';
import { nodePreflightChecks } from '@egress-proxier/node-datapath';
import { iptablesPreflightChecks } from './apply/iptables-preflight.js';
import { parseOptions, PLUGIN_OPTIONS } from './options.js';
import { IptablesProxier } from './proxier.js';
import { renderDatapath } from './render/render-datapath.js';

export const plugin = createProxierPlugin({
  name: 'iptables',
  scope: 'node',
  description:
    'iptables + ipset SNAT on gateway nodes, fwmark policy routing (on-link or VXLAN) from other nodes',
  capabilities: ['sharedAddress', 'destinationCIDRs', 'multipleEgressIPs', 'ipv6', 'failover', 'failClosed'],
  options: PLUGIN_OPTIONS,
  render: (table, options) => renderDatapath(table, parseOptions(options)),
  preflight: async (context, signal) => {
    const options = parseOptions(context.options);
    const [node, iptables] = await Promise.all([
      Promise.all(nodePreflightChecks(context.exec, options, signal)),
      iptablesPreflightChecks(context.exec, options.iptablesMode, signal),
    ]);
    return { checks: [...iptables, ...node] };
  },
  create: (context) => new IptablesProxier(context, parseOptions(context.options)),
});
