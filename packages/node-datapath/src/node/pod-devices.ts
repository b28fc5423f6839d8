// Where local pods' traffic first reaches the node, without knowing the CNI: the device of the main table's
// most specific direct route to each pod address. A routed CNI (Calico's cali*, Cilium's lxc*) has a host route
// per pod onto its veth; a bridge CNI (flannel, kubenet, the bridge plugin) routes the node's pod CIDR onto the
// bridge. Pods reached through a gateway (other nodes' pods, overlay routes with `via`) are not local and are
// left out, so a gateway's steered-in sources never pull its uplink in.
import { networkAddress, parseCidr, type IPFamily } from '@egress-proxier/core';
import type { CommandRunner } from '../exec/command-runner.js';
import { parseDirectRoutes, type DirectRoute } from '../iproute2/ip-json.js';

export interface PodAddress {
  ip: string;
  family: IPFamily;
}

/** Device → the given pod addresses it leads to (sorted); pods with no direct route are absent. */
export async function podFacingDevices(
  runner: CommandRunner,
  pods: readonly PodAddress[],
): Promise<Map<string, string[]>> {
  const families = [...new Set(pods.map((pod) => pod.family))];
  const routes = (
    await Promise.all(
      families.map(async (family) =>
        parseDirectRoutes(
          await runner.stdout('ip', '-j', `-${family}`, 'route', 'show', 'table', 'main'),
          family,
        ),
      ),
    )
  ).flat();
  return devicesOfPods(routes, pods);
}

/**
 * The pure half of podFacingDevices, for tests: longest direct prefix per pod. A gateway's table lists every pod
 * steered to it (150,000 at scale), so routes are indexed by prefix length and each pod costs one map lookup per
 * distinct length (host routes first), not one containment test per route; IPv4 networks are compared as
 * numbers, without a parser per lookup.
 */
export function devicesOfPods(
  routes: readonly DirectRoute[],
  pods: readonly PodAddress[],
): Map<string, string[]> {
  // family → prefix length → network key → device; lengths longest first.
  const index = new Map<IPFamily, Map<number, Map<NetworkKey, string>>>();
  for (const route of routes) {
    const text = route.dst.includes('/') ? route.dst : `${route.dst}/${route.family === 4 ? 32 : 128}`;
    const result = parseCidr(text);
    if (!('cidr' in result)) continue;
    const { family, prefixLength, network } = result.cidr;
    const byLength = index.get(family) ?? new Map<number, Map<NetworkKey, string>>();
    index.set(family, byLength);
    const networks = byLength.get(prefixLength) ?? new Map<NetworkKey, string>();
    byLength.set(prefixLength, networks);
    const key = networkKey(family, network, prefixLength);
    if (!networks.has(key)) networks.set(key, route.device);
  }
  const lengths = new Map(
    [...index].map(([family, byLength]) => [family, [...byLength.keys()].sort((a, b) => b - a)] as const),
  );
  const devices = new Map<string, string[]>();
  for (const pod of pods) {
    const byLength = index.get(pod.family);
    if (byLength === undefined) continue;
    for (const length of lengths.get(pod.family) ?? []) {
      const device = byLength.get(length)?.get(networkKey(pod.family, pod.ip, length));
      if (device === undefined) continue;
      const list = devices.get(device);
      if (list === undefined) devices.set(device, [pod.ip]);
      else list.push(pod.ip);
      break;
    }
  }
  for (const list of devices.values()) list.sort();
  return devices;
}

/** An IPv4 network as a number, an IPv6 one as its canonical text. */
type NetworkKey = number | string;

function networkKey(family: IPFamily, address: string, prefixLength: number): NetworkKey {
  if (family === 6) return prefixLength === 128 ? address : networkAddress(address, prefixLength);
  const parts = address.split('.');
  const value =
    ((Number(parts[0]) << 24) | (Number(parts[1]) << 16) | (Number(parts[2]) << 8) | Number(parts[3])) >>> 0;
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return (value & mask) >>> 0;
}
