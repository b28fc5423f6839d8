// The options every node backend shares (uplink, steering, slot numbering, address lifetime, announcements).
// Each backend declares them among its own plugin options, so on the command line they read
// `--<backend>-<name>` (`--iptables-mark`, `--nftables-mark`): the same names and meaning in every backend, as
// docs/node-datapath.md explains. Backend-specific options are added next to them by the backend.
import type { PluginOption, PluginOptionValues } from '@egress-proxier/core';
import { KUBE_PROXY_MARK_BITS } from './mark-bits.js';
import { hex, OptionReader, OptionsError } from './option-reader.js';

/** `ipvs` is not a choice of the shared `--<backend>-steering` flag: backend-ipvs selects it (with its settings). */
export type SteeringMode = 'onlink' | 'vxlan' | 'ipvs';

export const STEERING_MODES = ['onlink', 'vxlan'] as const;

/** IPVS steering (backend-ipvs): how the fwmark services forward to the gateway. */
export interface IpvsSettings {
  /** `dr`: direct routing on a shared L2 (`ipvsadm -g`); `tunnel`: IP-in-IP across L3 (`-i`). */
  forwarding: 'dr' | 'tunnel';
  /** Scheduler of every service (one real server each, so any works; `sh` and `mh` are the proven ones). */
  scheduler: 'sh' | 'mh';
  /** tunnel: the path MTU toward gateways; SYN-ACKs to steered pods are clamped to fit IP-in-IP into it. */
  tunnelMtu: number;
}

/** The steering choice alone: IPVS settings exist exactly when IPVS steers. */
export type SteeringSelection = { steering: 'onlink' | 'vxlan' } | { steering: 'ipvs'; ipvs: IpvsSettings };

export interface NodeDatapathOptions {
  /** The node's uplink device; undefined means "the default route's device", found at start. */
  uplink: string | undefined;
  /** Mark of the first gateway slot; later slots count up in steps of the mask's lowest bit. */
  mark: number;
  /** The fwmark bits the backend owns. Must stay clear of kube-proxy (0xc000) and of the CNI's bits. */
  mask: number;
  /** First routing table of the range (one table per gateway slot). */
  routeTableBase: number;
  /** Priority of the first `ip rule`; rules of later slots follow it. */
  rulePriority: number;
  steering: SteeringMode;
  vxlanDevice: string;
  vxlanId: number;
  vxlanPort: number;
  /** MTU of the VXLAN device; TCP MSS of steered connections is clamped to fit it. */
  vxlanMtu: number;
  /** steering=ipvs only. */
  ipvs: IpvsSettings;
  /** Lifetime of egress addresses until the first heartbeat sets one. */
  addressLifetimeSeconds: number;
  /** Announcements (gratuitous ARP for IPv4, unsolicited neighbour advertisements for IPv6) per new egress IP. */
  announceCount: number;
}

export const DEFAULT_NODE_OPTIONS: NodeDatapathOptions = {
  uplink: undefined,
  mark: 0x00000100,
  mask: 0x00003f00,
  routeTableBase: 7100,
  rulePriority: 7100,
  steering: 'onlink',
  vxlanDevice: 'egp-vx',
  vxlanId: 4790,
  vxlanPort: 4789,
  vxlanMtu: 1450,
  ipvs: { forwarding: 'dr', scheduler: 'sh', tunnelMtu: 1480 },
  addressLifetimeSeconds: 60,
  announceCount: 3,
};

export const NODE_PLUGIN_OPTIONS: Readonly<Record<string, PluginOption>> = {
  uplink: {
    type: 'string',
    description: "Uplink device for egress IPs and steering (default: the default route's device)",
  },
  mark: {
    type: 'string',
    description: 'fwmark of the first gateway (hex or decimal)',
    default: hex(DEFAULT_NODE_OPTIONS.mark),
  },
  mask: {
    type: 'string',
    description: 'fwmark bits owned by egress-proxier (clear of kube-proxy 0xc000 and Calico 0xffff0000)',
    default: hex(DEFAULT_NODE_OPTIONS.mask),
  },
  routeTableBase: {
    type: 'number',
    description: 'First policy-routing table used for steering',
    default: DEFAULT_NODE_OPTIONS.routeTableBase,
  },
  rulePriority: {
    type: 'number',
    description: 'Priority of the first steering ip rule',
    default: DEFAULT_NODE_OPTIONS.rulePriority,
  },
  steering: {
    type: 'string',
    description: 'How pods on other nodes reach a gateway: onlink (shared L2) or vxlan (L3)',
    default: DEFAULT_NODE_OPTIONS.steering,
    choices: STEERING_MODES,
  },
  vxlanDevice: {
    type: 'string',
    description: 'Name of the VXLAN device (steering=vxlan)',
    default: DEFAULT_NODE_OPTIONS.vxlanDevice,
  },
  vxlanId: { type: 'number', description: 'VXLAN network identifier', default: DEFAULT_NODE_OPTIONS.vxlanId },
  vxlanPort: { type: 'number', description: 'VXLAN UDP port', default: DEFAULT_NODE_OPTIONS.vxlanPort },
  vxlanMtu: {
    type: 'number',
    description: 'MTU of the VXLAN device (uplink MTU minus 50)',
    default: DEFAULT_NODE_OPTIONS.vxlanMtu,
  },
  addressLifetimeSeconds: {
    type: 'number',
    description: 'Egress address lifetime until the first heartbeat renews it',
    default: DEFAULT_NODE_OPTIONS.addressLifetimeSeconds,
  },
  announceCount: {
    type: 'number',
    description: 'Announcements (gratuitous ARP / IPv6 unsolicited NA) sent when an egress IP is added',
    default: DEFAULT_NODE_OPTIONS.announceCount,
  },
  garpCount: {
    type: 'number',
    description: 'Deprecated alias of announce-count (it now also counts IPv6 neighbour advertisements)',
  },
};

/** Validates the shared options; throws OptionsError naming the flag (`--<backend>-<name>`) at fault. */
export function parseNodeOptions(values: PluginOptionValues, backend: string): NodeDatapathOptions {
  const read = new OptionReader(values, backend);
  const uplink = read.optionalString('uplink');
  if (uplink !== undefined) read.deviceName('uplink', uplink);
  const mark = read.integer('mark', DEFAULT_NODE_OPTIONS.mark);
  const mask = read.integer('mask', DEFAULT_NODE_OPTIONS.mask);
  if (mask === 0 || mask > 0xffffffff)
    throw new OptionsError(`${read.flag('mask')} must be a non-zero 32-bit value`);
  if ((mask & KUBE_PROXY_MARK_BITS) !== 0) {
    throw new OptionsError(`${read.flag('mask')} ${hex(mask)} overlaps kube-proxy's 0x4000/0x8000 mark bits`);
  }
  if (mark === 0 || (mark & ~mask) !== 0) {
    throw new OptionsError(
      `${read.flag('mark')} ${hex(mark)} must be non-zero and inside ${read.flag('mask')} ${hex(mask)}`,
    );
  }
  // The deprecated alias has no default, so it is only set when the user gave it: then it wins.
  const announceName = read.given('garpCount') ? 'garpCount' : 'announceCount';
  return {
    uplink,
    mark,
    mask,
    routeTableBase: read.ranged('routeTableBase', DEFAULT_NODE_OPTIONS.routeTableBase, 1, 0xffff_0000),
    rulePriority: read.ranged('rulePriority', DEFAULT_NODE_OPTIONS.rulePriority, 1, 32000),
    steering: read.choice<SteeringMode>('steering', STEERING_MODES, DEFAULT_NODE_OPTIONS.steering),
    vxlanDevice: read.deviceName(
      'vxlanDevice',
      read.optionalString('vxlanDevice') ?? DEFAULT_NODE_OPTIONS.vxlanDevice,
    ),
    vxlanId: read.ranged('vxlanId', DEFAULT_NODE_OPTIONS.vxlanId, 1, 0xffffff),
    vxlanPort: read.ranged('vxlanPort', DEFAULT_NODE_OPTIONS.vxlanPort, 1, 65535),
    vxlanMtu: read.ranged('vxlanMtu', DEFAULT_NODE_OPTIONS.vxlanMtu, 1280, 65000),
    ipvs: DEFAULT_NODE_OPTIONS.ipvs,
    addressLifetimeSeconds: read.ranged(
      'addressLifetimeSeconds',
      DEFAULT_NODE_OPTIONS.addressLifetimeSeconds,
      1,
      86400,
    ),
    announceCount: read.ranged(announceName, DEFAULT_NODE_OPTIONS.announceCount, 0, 100),
  };
}
