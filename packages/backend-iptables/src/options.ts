// The backend's flags (`--iptables-<name>` on the CLI) and their validated, typed form.
import type { PluginOption, PluginOptionValues } from '@egress-proxier/core';

export type SteeringMode = 'onlink' | 'vxlan';
export type IptablesMode = 'auto' | 'nft' | 'legacy';

export interface IptablesOptions {
  /** The node's uplink device; undefined means "the default route's device", found at start. */
  uplink: string | undefined;
  /** Mark of the first gateway; later gateways count up in steps of the mask's lowest bit. */
  mark: number;
  /** The fwmark bits this backend owns. Must stay clear of kube-proxy (0xc000) and of the CNI's bits. */
  mask: number;
  /** First routing table of the range (one table per gateway). */
  routeTableBase: number;
  /** Priority of the first `ip rule`; rules for later gateways follow it. */
  rulePriority: number;
  steering: SteeringMode;
  vxlanDevice: string;
  vxlanId: number;
  vxlanPort: number;
  /** MTU of the VXLAN device; TCP MSS of steered connections is clamped to fit it. */
  vxlanMtu: number;
  iptablesMode: IptablesMode;
  /** Lifetime of egress addresses until the first heartbeat sets one. */
  addressLifetimeSeconds: number;
  /** Gratuitous ARP packets sent when an egress IP is added. */
  garpCount: number;
}

/** Bits kube-proxy always uses (masquerade 0x4000, drop 0x8000): a mask touching them is refused. */
export const KUBE_PROXY_MARK_BITS = 0x0000c000;
/** Calico's default IptablesMarkMask; the default mask stays clear of it (a Calico with another mask may allow more). */
export const CALICO_DEFAULT_MARK_BITS = 0xffff0000 >>> 0;

export const DEFAULT_OPTIONS: IptablesOptions = {
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
  iptablesMode: 'auto',
  addressLifetimeSeconds: 60,
  garpCount: 3,
};

export const PLUGIN_OPTIONS: Readonly<Record<string, PluginOption>> = {
  uplink: {
    type: 'string',
    description: "Uplink device for egress IPs and steering (default: the default route's device)",
  },
  mark: {
    type: 'string',
    description: 'fwmark of the first gateway (hex or decimal)',
    default: `0x${DEFAULT_OPTIONS.mark.toString(16)}`,
  },
  mask: {
    type: 'string',
    description: 'fwmark bits owned by egress-proxier (clear of kube-proxy 0xc000 and Calico 0xffff0000)',
    default: `0x${DEFAULT_OPTIONS.mask.toString(16)}`,
  },
  routeTableBase: {
    type: 'number',
    description: 'First policy-routing table used for steering',
    default: DEFAULT_OPTIONS.routeTableBase,
  },
  rulePriority: {
    type: 'number',
    description: 'Priority of the first steering ip rule',
    default: DEFAULT_OPTIONS.rulePriority,
  },
  steering: {
    type: 'string',
    description: 'How pods on other nodes reach a gateway: onlink (shared L2) or vxlan (L3)',
    default: DEFAULT_OPTIONS.steering,
    choices: ['onlink', 'vxlan'],
  },
  vxlanDevice: {
    type: 'string',
    description: 'Name of the VXLAN device (steering=vxlan)',
    default: DEFAULT_OPTIONS.vxlanDevice,
  },
  vxlanId: { type: 'number', description: 'VXLAN network identifier', default: DEFAULT_OPTIONS.vxlanId },
  vxlanPort: { type: 'number', description: 'VXLAN UDP port', default: DEFAULT_OPTIONS.vxlanPort },
  vxlanMtu: {
    type: 'number',
    description: 'MTU of the VXLAN device (uplink MTU minus 50)',
    default: DEFAULT_OPTIONS.vxlanMtu,
  },
  iptablesMode: {
    type: 'string',
    description: 'iptables flavour: auto detects which one holds the host rules',
    default: DEFAULT_OPTIONS.iptablesMode,
    choices: ['auto', 'nft', 'legacy'],
  },
  addressLifetimeSeconds: {
    type: 'number',
    description: 'Egress address lifetime until the first heartbeat renews it',
    default: DEFAULT_OPTIONS.addressLifetimeSeconds,
  },
  garpCount: {
    type: 'number',
    description: 'Gratuitous ARPs sent when an egress IP is added',
    default: DEFAULT_OPTIONS.garpCount,
  },
};

export class OptionsError extends Error {
  override name = 'OptionsError';
}

/** Validates raw option values; throws OptionsError naming the flag at fault. */
export function parseOptions(values: PluginOptionValues): IptablesOptions {
  const uplink = optionalString(values, 'uplink');
  if (uplink !== undefined) checkDeviceName('uplink', uplink);
  const mark = integer(values, 'mark', DEFAULT_OPTIONS.mark);
  const mask = integer(values, 'mask', DEFAULT_OPTIONS.mask);
  if (mask === 0 || mask > 0xffffffff)
    throw new OptionsError('--iptables-mask must be a non-zero 32-bit value');
  if ((mask & KUBE_PROXY_MARK_BITS) !== 0) {
    throw new OptionsError(`--iptables-mask ${hex(mask)} overlaps kube-proxy's 0x4000/0x8000 mark bits`);
  }
  if (mark === 0 || (mark & ~mask) !== 0) {
    throw new OptionsError(
      `--iptables-mark ${hex(mark)} must be non-zero and inside --iptables-mask ${hex(mask)}`,
    );
  }
  const steering = choice(values, 'steering', ['onlink', 'vxlan'] as const, DEFAULT_OPTIONS.steering);
  const vxlanDevice = optionalString(values, 'vxlanDevice') ?? DEFAULT_OPTIONS.vxlanDevice;
  checkDeviceName('vxlanDevice', vxlanDevice);
  return {
    uplink,
    mark,
    mask,
    routeTableBase: ranged(values, 'routeTableBase', DEFAULT_OPTIONS.routeTableBase, 1, 0xffff_0000),
    rulePriority: ranged(values, 'rulePriority', DEFAULT_OPTIONS.rulePriority, 1, 32000),
    steering,
    vxlanDevice,
    vxlanId: ranged(values, 'vxlanId', DEFAULT_OPTIONS.vxlanId, 1, 0xffffff),
    vxlanPort: ranged(values, 'vxlanPort', DEFAULT_OPTIONS.vxlanPort, 1, 65535),
    vxlanMtu: ranged(values, 'vxlanMtu', DEFAULT_OPTIONS.vxlanMtu, 1280, 65000),
    iptablesMode: choice(
      values,
      'iptablesMode',
      ['auto', 'nft', 'legacy'] as const,
      DEFAULT_OPTIONS.iptablesMode,
    ),
    addressLifetimeSeconds: ranged(
      values,
      'addressLifetimeSeconds',
      DEFAULT_OPTIONS.addressLifetimeSeconds,
      1,
      86400,
    ),
    garpCount: ranged(values, 'garpCount', DEFAULT_OPTIONS.garpCount, 0, 100),
  };
}

export function hex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}

function optionalString(values: PluginOptionValues, name: string): string | undefined {
  const value = values[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new OptionsError(`--iptables-${name} must be a string`);
  return value;
}

function integer(values: PluginOptionValues, name: string, fallback: number): number {
  const value = values[name];
  if (value === undefined || value === '') return fallback;
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? parseInteger(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 0) {
    throw new OptionsError(
      `--iptables-${name} must be a non-negative integer (hex like 0x100000 or decimal)`,
    );
  }
  return parsed;
}

function parseInteger(text: string): number {
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return Number(text);
  return NaN;
}

function ranged(
  values: PluginOptionValues,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const parsed = integer(values, name, fallback);
  if (parsed < min || parsed > max)
    throw new OptionsError(`--iptables-${name} must be from ${min} to ${max}`);
  return parsed;
}

function choice<T extends string>(
  values: PluginOptionValues,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = values[name];
  if (value === undefined || value === '') return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new OptionsError(`--iptables-${name} must be one of ${allowed.join(', ')}`);
}

function checkDeviceName(name: string, device: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(device)) {
    throw new OptionsError(`--iptables-${name} "${device}" is not a valid device name (1-15 characters)`);
  }
}
