// The backend's flags (`--ipvs-<name>` on the CLI): the node kit's options that mean something here (uplink,
// the mark/table/rule numbering, address lifetime, announcements: same names and meaning as in every node
// backend, see docs/node-datapath.md), how IPVS forwards (direct routing or IP-in-IP, the scheduler, the tunnel
// MTU) and the iptables flavour of the SNAT side. The kit's steering and VXLAN options are not offered: IPVS is
// the steering here.
import type { PluginOption, PluginOptionValues } from '@egress-proxier/core';
import {
  DEFAULT_OPTIONS as IPTABLES_DEFAULTS,
  PLUGIN_OPTIONS as IPTABLES_OPTIONS,
  type IptablesOptions,
} from '@egress-proxier/backend-iptables';
import {
  DEFAULT_NODE_OPTIONS,
  NODE_PLUGIN_OPTIONS,
  OptionReader,
  parseNodeOptions,
  type IpvsSettings,
} from '@egress-proxier/node-datapath';

/** The iptables backend's options with IPVS steering: what its proxier runs with. */
export type IpvsOptions = IptablesOptions & { steering: 'ipvs' };

const SHARED = [
  'uplink',
  'mark',
  'mask',
  'routeTableBase',
  'rulePriority',
  'addressLifetimeSeconds',
  'announceCount',
  'garpCount',
] as const;

export const DEFAULT_IPVS: IpvsSettings = DEFAULT_NODE_OPTIONS.ipvs;

export const PLUGIN_OPTIONS: Readonly<Record<string, PluginOption>> = {
  ...Object.fromEntries(SHARED.map((name) => [name, NODE_PLUGIN_OPTIONS[name]])),
  forwarding: {
    type: 'string',
    description:
      'How IPVS reaches the gateway: dr (direct routing, nodes share an L2) or tunnel (IP-in-IP, L3)',
    default: DEFAULT_IPVS.forwarding,
    choices: ['dr', 'tunnel'],
  },
  scheduler: {
    type: 'string',
    description: 'IPVS scheduler of the fwmark services (each has one real server, the gateway)',
    default: DEFAULT_IPVS.scheduler,
    choices: ['sh', 'mh'],
  },
  tunnelMtu: {
    type: 'number',
    description:
      'forwarding=tunnel: path MTU toward gateways; steered TCP is clamped to fit IP-in-IP into it',
    default: DEFAULT_IPVS.tunnelMtu,
  },
  iptablesMode: IPTABLES_OPTIONS.iptablesMode as PluginOption,
};

/** Validates raw option values; throws OptionsError naming the flag at fault. */
export function parseOptions(values: PluginOptionValues): IpvsOptions {
  const read = new OptionReader(values, 'ipvs');
  return {
    ...parseNodeOptions(values, 'ipvs'),
    steering: 'ipvs',
    ipvs: {
      forwarding: read.choice('forwarding', ['dr', 'tunnel'] as const, DEFAULT_IPVS.forwarding),
      scheduler: read.choice('scheduler', ['sh', 'mh'] as const, DEFAULT_IPVS.scheduler),
      tunnelMtu: read.ranged('tunnelMtu', DEFAULT_IPVS.tunnelMtu, 1280, 65000),
    },
    iptablesMode: read.choice(
      'iptablesMode',
      ['auto', 'nft', 'legacy'] as const,
      IPTABLES_DEFAULTS.iptablesMode,
    ),
  };
}
