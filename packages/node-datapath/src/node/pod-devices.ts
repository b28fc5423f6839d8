// Where local pods' traffic first reaches the node, without knowing the CNI: the device of the main table's
// most specific direct route to each pod address. A routed CNI (Calico's cali*, Cilium's lxc*) has a host route
// per pod onto its veth; a bridge CNI (flannel, kubenet, the bridge plugin) routes the node's pod CIDR onto the
// bridge. Pods reached through a gateway (other nodes' pods, overlay routes with `via`) are not local and are
// left out, so a gateway's steered-in sources never pull its uplink in.
import { parseCidr, cidrContainsIP, type Cidr, type IPFamily } from '@egress-proxier/core';
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

/** The pure half of podFacingDevices, for tests: longest direct prefix per pod. */
export function devicesOfPods(
  routes: readonly DirectRoute[],
  pods: readonly PodAddress[],
): Map<string, string[]> {
  const parsed = routes.flatMap((route) => {
    const text = route.dst.includes('/') ? route.dst : `${route.dst}/${route.family === 4 ? 32 : 128}`;
    const result = parseCidr(text);
    return 'cidr' in result ? [{ cidr: result.cidr, device: route.device }] : [];
  });
  const devices = new Map<string, string[]>();
  for (const pod of pods) {
    let best: { cidr: Cidr; device: string } | undefined;
    for (const route of parsed)
      if (
        route.cidr.family === pod.family &&
        cidrContainsIP(route.cidr, pod.ip) &&
        (best === undefined || route.cidr.prefixLength > best.cidr.prefixLength)
      )
        best = route;
    if (best !== undefined) devices.set(best.device, [...(devices.get(best.device) ?? []), pod.ip]);
  }
  for (const list of devices.values()) list.sort();
  return devices;
}
