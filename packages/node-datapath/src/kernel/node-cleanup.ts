// `cleanup` of the node-level state: our fwmark rules and the routes of our table range (both families), the
// VXLAN device, and our egress addresses on the uplink (see ownership.ts); nothing else.
import type { CommandRunner } from '../exec/command-runner.js';
import { addressDelete } from '../iproute2/address-commands.js';
import { parseRoutes, parseRules } from '../iproute2/ip-json.js';
import { routeFlush, ruleDelete } from '../iproute2/routing-commands.js';
import { vxlanDelete } from '../iproute2/vxlan-commands.js';
import { readOwnedAddresses } from '../addresses/owned-addresses.js';
import type { SlotNumbering } from '../steering/slots/slot-layout.js';
import { readVxlan } from './node-kernel-view.js';
import { isOurRoute, isOurRule } from './ownership.js';

export async function cleanupNode(
  runner: CommandRunner,
  options: SlotNumbering & { vxlanDevice: string },
  uplink: string | undefined,
): Promise<void> {
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
