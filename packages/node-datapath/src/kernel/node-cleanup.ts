// `cleanup` of the node-level state: our fwmark rules and the routes of our table range (both families), the
// VXLAN device, our IPVS services (with IPVS steering), the decapsulation devices we brought up (taken down
// again), and our egress addresses on the uplink (see ownership.ts); nothing else. expire_nodest_conn stays,
// and so does a tunnel device someone else had up: other IPVS or IPIP users may rely on them.
import type { CommandRunner } from '../exec/command-runner.js';
import { addressDelete } from '../iproute2/address-commands.js';
import { parseAddresses, parseRoutes, parseRules } from '../iproute2/ip-json.js';
import { routeFlush, ruleDelete } from '../iproute2/routing-commands.js';
import { tunnelDisowned, tunnelDown } from '../steering/drivers/ipvs-driver.js';
import { vxlanDelete } from '../iproute2/vxlan-commands.js';
import { readOwnedAddresses } from '../addresses/owned-addresses.js';
import { ipvsDeleteLines } from '../ipvs/ipvs-commands.js';
import { readDecapsulationDevices, readIpvsView } from '../ipvs/ipvs-view.js';
import type { IpvsSettings, SteeringMode } from '../options/node-options.js';
import type { SlotNumbering } from '../steering/slots/slot-layout.js';
import { readVxlan } from './node-kernel-view.js';
import { isOurRoute, isOurRule } from './ownership.js';

export async function cleanupNode(
  runner: CommandRunner,
  options: SlotNumbering & { vxlanDevice: string; steering: SteeringMode; ipvs: IpvsSettings },
  uplink: string | undefined,
): Promise<void> {
  if (options.steering === 'ipvs') {
    // First: with the services gone, nothing is handed to a gateway any more, whatever still marks packets.
    const lines = ipvsDeleteLines((await readIpvsView(runner, options)).services);
    if (lines.length > 0)
      await runner.run({ command: 'ipvsadm', args: ['-R'] }, { input: `${lines.join('\n')}\n` });
    // Whatever forwarding the cleanup is told: a node may have run tunnels before.
    for (const tunnel of await readDecapsulationDevices(runner)) {
      if (!tunnel.ours) continue;
      // Given an address since we brought it up, the device has another user now: leave it up. Only global
      // ones count: the kernel gives ip6tnl0 an IPv6 link-local address of its own when it comes up.
      const addresses = parseAddresses(
        await runner.stdout('ip', '-j', 'address', 'show', 'dev', tunnel.device, 'scope', 'global'),
      );
      await runner.run(addresses.length > 0 ? tunnelDisowned(tunnel.device) : tunnelDown(tunnel.device));
    }
  }
  for (const family of [4, 6] as const) {
    const rules = parseRules(await runner.stdout('ip', '-j', `-${family}`, 'rule', 'show'), family);
    for (const rule of rules.filter((candidate) => isOurRule(candidate, options)))
      await runner.run(ruleDelete(rule));
    const routes = parseRoutes(
      await runner.stdout('ip', '-j', `-${family}`, 'route', 'show', 'table', 'all'),
      family,
    );
    const tables = new Set(routes.filter((route) => isOurRoute(route, options)).map((route) => route.table));
    for (const table of tables) await runner.run(routeFlush(family, table));
  }
  if ((await readVxlan(runner, options.vxlanDevice)).exists)
    await runner.run(vxlanDelete(options.vxlanDevice));
  if (uplink !== undefined) {
    const addresses = await readOwnedAddresses(runner, uplink);
    await runner.runIpBatch(
      addresses.map((address) => addressDelete(`${address.local}/${address.prefixLength}`, address.device)),
    );
  }
}
