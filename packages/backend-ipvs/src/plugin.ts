// The IPVS backend as a plugin: `--backend ipvs` loads this module's default export. It is the iptables
// backend's datapath (source sets, SNAT on the gateway, the guards, addresses) with the node kit's IPVS
// steering driver instead of routed steering: only the flags, the checks and the name are its own.
import { createProxierPlugin } from '@egress-proxier/core';
import { IptablesProxier, iptablesPreflightChecks, renderDatapath } from '@egress-proxier/backend-iptables';
import { nodePreflightChecks } from '@egress-proxier/node-datapath';
import { parseOptions, PLUGIN_OPTIONS } from './options.js';

export const plugin = createProxierPlugin({
  name: 'ipvs',
  scope: 'node',
  description:
    'IPVS fwmark services steer pod traffic to the gateway (direct routing or IP-in-IP); iptables SNAT there',
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
  create: (context) => new IptablesProxier(context, parseOptions(context.options), 'ipvs'),
});
