// Parsers for `ip -j` / `bridge -j` output: addresses, policy rules, routes, links and FDB entries. Parsers keep
// what the kernel says; deciding what of it is ours is the ownership modules' business.
import type { IPFamily } from '@egress-proxier/core';

export interface KernelAddress {
  device: string;
  family: IPFamily;
  local: string;
  prefixLength: number;
  label: string | undefined;
  /** Finite lifetime (the kernel will expire it). */
  dynamic: boolean;
  nodad: boolean;
}

export interface KernelRule {
  family: IPFamily;
  priority: number;
  mark: number;
  mask: number;
  table: number;
}

export interface KernelRoute {
  family: IPFamily;
  table: number;
  /** `unicast` unless the kernel says otherwise (we also write `throw`). */
  type: string;
  dst: string;
  via: string | undefined;
  device: string | undefined;
}

interface AddrJson {
  ifname?: string;
  addr_info?: {
    family?: string;
    local?: string;
    prefixlen?: number;
    label?: string;
    dynamic?: boolean;
    nodad?: boolean;
  }[];
}

export function parseAddresses(json: string): KernelAddress[] {
  const links = parse<AddrJson[]>(json);
  return links.flatMap((link) =>
    (link.addr_info ?? []).flatMap((info) =>
      info.local === undefined || (info.family !== 'inet' && info.family !== 'inet6')
        ? []
        : [
            {
              device: link.ifname ?? '',
              family: info.family === 'inet' ? (4 as const) : (6 as const),
              local: info.local,
              prefixLength: info.prefixlen ?? 0,
              label: info.label,
              dynamic: info.dynamic === true,
              nodad: info.nodad === true,
            },
          ],
    ),
  );
}

interface RuleJson {
  priority?: number;
  fwmark?: string;
  fwmask?: string;
  table?: string;
}

/** Only fwmark rules that look up a numbered table: the only kind we create. */
export function parseRules(json: string, family: IPFamily): KernelRule[] {
  return parse<RuleJson[]>(json).flatMap((rule) => {
    if (rule.fwmark === undefined || rule.table === undefined || !/^\d+$/.test(rule.table)) return [];
    return [
      {
        family,
        priority: rule.priority ?? 0,
        mark: Number(rule.fwmark),
        mask: rule.fwmask === undefined ? 0xffffffff : Number(rule.fwmask),
        table: Number(rule.table),
      },
    ];
  });
}

interface RouteJson {
  type?: string;
  dst?: string;
  gateway?: string;
  dev?: string;
  table?: string;
}

/** `ip -j route show table all` omits `table` for the main table; those are never ours. */
export function parseRoutes(json: string, family: IPFamily): KernelRoute[] {
  return parse<RouteJson[]>(json).flatMap((route) =>
    route.table === undefined || !/^\d+$/.test(route.table)
      ? []
      : [
          {
            family,
            table: Number(route.table),
            type: route.type ?? 'unicast',
            dst: route.dst ?? '',
            via: route.gateway,
            device: route.dev,
          },
        ],
  );
}

/** A main-table route straight onto a device (no gateway): how the node reaches its local pods. */
export interface DirectRoute {
  family: IPFamily;
  /** `10.244.1.0/24`, or a host route's bare address (`10.244.1.7`) as iproute2 prints it. */
  dst: string;
  device: string;
}

/** The direct unicast routes of `ip -j route show table main` (no `default`, nothing via a gateway). */
export function parseDirectRoutes(json: string, family: IPFamily): DirectRoute[] {
  return parse<RouteJson[]>(json).flatMap((route) =>
    (route.type ?? 'unicast') === 'unicast' &&
    route.gateway === undefined &&
    route.dev !== undefined &&
    route.dst !== undefined &&
    route.dst !== 'default'
      ? [{ family, dst: route.dst, device: route.dev }]
      : [],
  );
}

/** The device of the default route, from `ip -j route show default`. */
export function parseDefaultRouteDevice(json: string): string | undefined {
  return parse<RouteJson[]>(json).find((route) => route.dev !== undefined)?.dev;
}

interface LinkJson {
  ifindex?: number;
  ifname?: string;
  mtu?: number;
  flags?: string[];
  ifalias?: string;
  linkinfo?: { info_kind?: string };
}

export function parseLinks(json: string): {
  name: string;
  ifindex: number | undefined;
  kind: string | undefined;
  mtu: number | undefined;
  /** Administratively up (`UP` among the flags). */
  up: boolean;
  /** The device's alias (`ip link set … alias`), where we mark a shared device we brought up. */
  alias: string | undefined;
}[] {
  return parse<LinkJson[]>(json).map((link) => ({
    name: link.ifname ?? '',
    ifindex: link.ifindex,
    kind: link.linkinfo?.info_kind,
    mtu: link.mtu,
    up: link.flags?.includes('UP') === true,
    alias: link.ifalias,
  }));
}

/** Remote VTEPs of all-zero (flood) FDB entries, from `bridge -j fdb show dev X`. */
export function parseFloodRemotes(json: string): string[] {
  return parse<{ mac?: string; dst?: string }[]>(json)
    .filter((entry) => entry.mac === '00:00:00:00:00:00' && entry.dst !== undefined)
    .map((entry) => entry.dst ?? '')
    .sort();
}

function parse<T>(json: string): T {
  const trimmed = json.trim();
  return (trimmed === '' ? [] : JSON.parse(trimmed)) as T;
}
