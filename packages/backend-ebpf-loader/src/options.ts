// The backend's flags (`--ebpf-<name>` on the CLI): the node kit's options that mean something to a BPF
// datapath (uplink, address lifetime, announcements: same names and meaning as in every node backend, see
// docs/node-datapath.md) plus the pin directory and the NAT sweep. The kit's mark, routing-table and VXLAN
// options are not offered: this datapath steers by bpf_redirect_neigh, with no fwmark, rule or route.
import type { PluginOption, PluginOptionValues } from '@egress-proxier/core';
import { DEFAULT_NAT_TIMEOUTS, type NatTimeouts } from './nat/nat-expiry.js';
import {
  NODE_PLUGIN_OPTIONS,
  OptionReader,
  OptionsError,
  parseNodeOptions,
  type NodeDatapathOptions,
} from '@egress-proxier/node-datapath';

export interface EbpfOptions extends Pick<
  NodeDatapathOptions,
  'uplink' | 'addressLifetimeSeconds' | 'announceCount'
> {
  /** The bpffs directory the backend owns: maps and programs are pinned under it (pin-layout.ts). */
  pinDir: string;
  /** Seconds between sweeps of idle NAT entries (stale ones of an egress IP that left go at once). */
  natSweepSeconds: number;
  /** Idle seconds after which a flow's NAT entries are removed, per protocol. */
  natTimeouts: NatTimeouts;
  /** Seconds between syncs that read the policy maps back (drift repair) instead of trusting the last sync. */
  mapVerifySeconds: number;
}

export const DEFAULT_PIN_DIR = '/sys/fs/bpf/egress-proxier';

export const DEFAULT_OPTIONS: Omit<EbpfOptions, 'uplink'> = {
  pinDir: DEFAULT_PIN_DIR,
  natSweepSeconds: 30,
  mapVerifySeconds: 300,
  natTimeouts: { ...DEFAULT_NAT_TIMEOUTS },
  addressLifetimeSeconds: 60,
  announceCount: 3,
};

const SHARED = ['uplink', 'addressLifetimeSeconds', 'announceCount'] as const;

export const PLUGIN_OPTIONS: Readonly<Record<string, PluginOption>> = {
  ...Object.fromEntries(SHARED.map((name) => [name, NODE_PLUGIN_OPTIONS[name]])),
  pinDir: {
    type: 'string',
    description:
      'bpffs directory the backend owns (maps, programs); mount the host bpffs so pins survive agent restarts',
    default: DEFAULT_PIN_DIR,
  },
  natSweepSeconds: {
    type: 'number',
    description: 'Seconds between sweeps that remove idle NAT entries',
    default: DEFAULT_OPTIONS.natSweepSeconds,
  },
  natTcpIdleSeconds: {
    type: 'number',
    description: 'A TCP flow idle this long loses its NAT entries (RFC 5382: at least 2 h 4 min)',
    default: DEFAULT_NAT_TIMEOUTS.tcp,
  },
  natUdpIdleSeconds: {
    type: 'number',
    description: 'A UDP flow idle this long loses its NAT entries (RFC 4787: at least 2 min)',
    default: DEFAULT_NAT_TIMEOUTS.udp,
  },
  natIcmpIdleSeconds: {
    type: 'number',
    description: 'An ICMP echo flow idle this long loses its NAT entries (RFC 5508: at least 60 s)',
    default: DEFAULT_NAT_TIMEOUTS.icmp,
  },
  mapVerifySeconds: {
    type: 'number',
    description:
      'Seconds between syncs that read the BPF maps back and repair edits made by others (0: every sync)',
    default: DEFAULT_OPTIONS.mapVerifySeconds,
  },
};

/** Validates raw option values; throws OptionsError naming the flag at fault. */
export function parseOptions(values: PluginOptionValues): EbpfOptions {
  const read = new OptionReader(values, 'ebpf');
  const notOurs = Object.keys(values).find(
    (name) => values[name] !== undefined && !(name in PLUGIN_OPTIONS) && name in NODE_PLUGIN_OPTIONS,
  );
  if (notOurs !== undefined)
    throw new OptionsError(
      `${read.flag(notOurs)} does not apply to the eBPF backend: it steers by bpf_redirect_neigh, with no fwmark, routing table or VXLAN device`,
    );
  const node = parseNodeOptions(values, 'ebpf');
  const given = read.optionalString('pinDir') ?? DEFAULT_PIN_DIR;
  const pinDir = given.replace(/\/+$/, '');
  if (!pinDir.startsWith('/')) throw new OptionsError(`${read.flag('pinDir')} must be an absolute path`);
  // The directory itself is made on the bpffs, which refuses names with dots (its parents may be anywhere).
  if (pinDir.split('/').pop()?.includes('.'))
    throw new OptionsError(`${read.flag('pinDir')} ${given}: bpffs names may not contain dots`);
  return {
    uplink: node.uplink,
    addressLifetimeSeconds: node.addressLifetimeSeconds,
    announceCount: node.announceCount,
    pinDir,
    natSweepSeconds: read.ranged('natSweepSeconds', DEFAULT_OPTIONS.natSweepSeconds, 1, 3600),
    mapVerifySeconds: read.ranged('mapVerifySeconds', DEFAULT_OPTIONS.mapVerifySeconds, 0, 86400),
    natTimeouts: {
      tcp: read.ranged('natTcpIdleSeconds', DEFAULT_NAT_TIMEOUTS.tcp, 1, 7 * 86400),
      udp: read.ranged('natUdpIdleSeconds', DEFAULT_NAT_TIMEOUTS.udp, 1, 86400),
      icmp: read.ranged('natIcmpIdleSeconds', DEFAULT_NAT_TIMEOUTS.icmp, 1, 86400),
    },
  };
}
