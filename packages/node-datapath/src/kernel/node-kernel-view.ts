// The node-level kernel state a node backend owns (policy rules, routes of our tables, egress addresses, the
// VXLAN device and its flood entries, IPVS services), read from the kernel or derived from what was last applied. It is small
// and bounded (a rule and a table per gateway, an address per hosted egress IP), so a backend re-reads it on
// every sync: drift there (an `ip rule del`, a flushed table, a deleted FDB entry) is repaired by the next one.
import type { CommandRunner } from '../exec/command-runner.js';
import {
  parseAddresses,
  parseFloodRemotes,
  parseLinks,
  parseRoutes,
  parseRules,
  type KernelAddress,
  type KernelRoute,
  type KernelRule,
} from '../iproute2/ip-json.js';
import { VXLAN_DEVICE_ADDRESS } from '../iproute2/vxlan-commands.js';
import { readOwnedAddresses } from '../addresses/owned-addresses.js';
import type { NodeDatapath } from '../datapath/node-datapath.js';
import { readIpvsView, type IpvsView } from '../ipvs/ipvs-view.js';
import type { IpvsSettings, SteeringMode } from '../options/node-options.js';
import type { SlotNumbering } from '../steering/slots/slot-layout.js';
import { isOurRoute, isOurRule } from './ownership.js';

export interface NodeKernelView {
  rules: KernelRule[];
  routes: KernelRoute[];
  addresses: KernelAddress[];
  vxlan: VxlanView;
  /** IPVS steering only (other drivers never read IPVS: ipvsadm may be missing there). */
  ipvs: IpvsView | undefined;
}

export interface VxlanView {
  exists: boolean;
  /** Flood entries' remote VTEPs. */
  remotes: string[];
  /** Whether the device holds VXLAN_DEVICE_ADDRESS (devices made by older versions do not). */
  addressed: boolean;
}

export async function readNodeKernelView(
  runner: CommandRunner,
  options: SlotNumbering & { vxlanDevice: string; steering: SteeringMode; ipvs: IpvsSettings },
  uplink: string,
): Promise<NodeKernelView> {
  // In parallel: a sync that changes nothing costs one exec's latency for these, not six.
  const [rules4, routes4, rules6, routes6, addresses, vxlan, ipvs] = await Promise.all([
    runner.stdout('ip', '-j', '-4', 'rule', 'show'),
    runner.stdout('ip', '-j', '-4', 'route', 'show', 'table', 'all'),
    runner.stdout('ip', '-j', '-6', 'rule', 'show'),
    runner.stdout('ip', '-j', '-6', 'route', 'show', 'table', 'all'),
    readOwnedAddresses(runner, uplink),
    readVxlan(runner, options.vxlanDevice),
    options.steering === 'ipvs' ? readIpvsView(runner, options) : Promise.resolve(undefined),
  ]);
  const rules: KernelRule[] = [...parseRules(rules4, 4), ...parseRules(rules6, 6)];
  const routes: KernelRoute[] = [...parseRoutes(routes4, 4), ...parseRoutes(routes6, 6)];
  return {
    rules: rules.filter((rule) => isOurRule(rule, options)),
    routes: routes.filter((route) => isOurRoute(route, options)),
    addresses,
    vxlan,
    ipvs,
  };
}

export async function readVxlan(runner: CommandRunner, device: string): Promise<VxlanView> {
  const result = await runner.read(
    { command: 'ip', args: ['-j', '-d', 'link', 'show', 'dev', device] },
    { allowedExitCodes: [1] },
  );
  const link = result.exitCode === 0 ? parseLinks(result.stdout)[0] : undefined;
  if (link?.kind !== 'vxlan') return { exists: false, remotes: [], addressed: false };
  const fdb = await runner.stdout('bridge', '-j', 'fdb', 'show', 'dev', device);
  const addresses = parseAddresses(await runner.stdout('ip', '-j', '-4', 'addr', 'show', 'dev', device));
  return {
    exists: true,
    remotes: parseFloodRemotes(fdb),
    addressed: addresses.some((address) => address.local === VXLAN_DEVICE_ADDRESS),
  };
}

/** What the kernel holds after `desired` was applied successfully (`ipvs`: the view the apply started from). */
export function nodeViewOfApplied(desired: NodeDatapath, ipvs?: IpvsView): NodeKernelView {
  return {
    rules: desired.routes.map((route) => ({
      family: route.family,
      priority: route.priority,
      mark: route.mark,
      mask: route.mask,
      table: route.table,
    })),
    routes: desired.routes.flatMap((route) => [
      {
        family: route.family,
        table: route.table,
        type: route.type,
        dst: 'default',
        via: route.type === 'local' ? undefined : route.via,
        device: route.device,
      },
      ...(route.tunnelEndpoint === undefined
        ? []
        : [
            {
              family: route.family,
              table: route.table,
              type: 'throw',
              dst: route.tunnelEndpoint,
              via: undefined,
              device: undefined,
            },
          ]),
    ]),
    addresses: desired.addresses.map((address) => ({
      device: address.device,
      family: address.family,
      local: address.ip,
      prefixLength: address.family === 4 ? 32 : 128,
      label: address.label,
      dynamic: true,
      nodad: address.family === 6,
    })),
    vxlan: {
      exists: desired.vxlan !== undefined,
      remotes: desired.vxlan?.remotes ?? [],
      addressed: desired.vxlan !== undefined,
    },
    // The apply brought up the tunnel devices that existed.
    ipvs:
      ipvs === undefined
        ? undefined
        : { services: desired.ipvs, tunnels: ipvs.tunnels.map((tunnel) => ({ ...tunnel, up: true })) },
  };
}
