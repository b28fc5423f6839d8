// Steering routes and rules, the VXLAN device and egress addresses: added before the chains that use them,
// removed after the last chain that used them is gone. Slots are stable (GatewaySlotAllocator), so a route that
// exists is only ever replaced toward the same gateway, and a new slot's route leads where no mark leads yet.
import type { DesiredDatapath, SteeringRoute } from '../model/desired-datapath.js';
import {
  addressDelete,
  addressReplace,
  fdbAppend,
  fdbDelete,
  routeFlush,
  routeReplace,
  ruleAdd,
  ruleDelete,
  throwRouteDelete,
  throwRouteReplace,
  vxlanAddressAdd,
  vxlanCreate,
  vxlanDelete,
  type Command,
} from '../render/commands.js';
import type { ApplyContext } from './datapath-applier.js';
import type { KernelView } from './kernel-view.js';

/** Runs one command, counting it. */
export type Run = (command: Command, input?: string) => Promise<void>;

/** The VXLAN device and its flood entries (every node has the device, so gateways decapsulate). */
export async function addVxlan(run: Run, context: ApplyContext, desired: DesiredDatapath, view: KernelView) {
  const vxlan = desired.vxlan;
  if (vxlan === undefined) return;
  if (!view.vxlan.exists) {
    for (const command of vxlanCreate(vxlan, await context.uplinkAddress())) await run(command);
  } else if (!view.vxlan.addressed) {
    await run(vxlanAddressAdd(vxlan.device));
  }
  const known = new Set(view.vxlan.exists ? view.vxlan.remotes : []);
  for (const remote of vxlan.remotes) if (!known.has(remote)) await run(fdbAppend(vxlan.device, remote));
}

export async function removeVxlan(
  run: Run,
  context: ApplyContext,
  desired: DesiredDatapath,
  view: KernelView,
) {
  const vxlan = desired.vxlan;
  if (vxlan !== undefined) {
    const wanted = new Set(vxlan.remotes);
    for (const remote of view.vxlan.remotes)
      if (!wanted.has(remote)) await run(fdbDelete(vxlan.device, remote));
  } else if (view.vxlan.exists) {
    await run(vxlanDelete(context.vxlanDevice));
  }
}

/** Steering routes, then the rules that select them. */
export async function addSteering(run: Run, desired: DesiredDatapath, view: KernelView) {
  for (const route of desired.routes) {
    const current = view.routes.find(
      (r) => r.family === route.family && r.table === route.table && r.dst === 'default',
    );
    if (current?.via !== route.via || current.device !== route.device) await run(routeReplace(route));
    const endpoint = route.tunnelEndpoint;
    if (endpoint === undefined) continue;
    const exempt = view.routes.some(
      (r) => r.family === route.family && r.table === route.table && r.type === 'throw' && r.dst === endpoint,
    );
    if (!exempt) await run(throwRouteReplace(route.family, endpoint, route.table));
  }
  for (const route of desired.routes) {
    if (!view.rules.some((rule) => sameRule(rule, route))) await run(ruleAdd(route));
  }
}

/** Rules first (no packet is sent to a table any more), then the tables' routes. */
export async function removeSteering(run: Run, desired: DesiredDatapath, view: KernelView) {
  for (const rule of view.rules) {
    if (!desired.routes.some((route) => sameRule(rule, route))) await run(ruleDelete(rule));
  }
  const staleTables = new Set(
    view.routes
      .filter((r) => !desired.routes.some((route) => route.family === r.family && route.table === r.table))
      .map((r) => `${r.family}/${r.table}`),
  );
  for (const held of view.routes) {
    if (held.type !== 'throw' || staleTables.has(`${held.family}/${held.table}`)) continue;
    const wanted = desired.routes.some(
      (route) =>
        route.family === held.family && route.table === held.table && route.tunnelEndpoint === held.dst,
    );
    if (!wanted) await run(throwRouteDelete(held.family, held.dst, held.table));
  }
  for (const key of staleTables) {
    const [family, table] = key.split('/').map(Number);
    await run(routeFlush(family === 6 ? 6 : 4, table ?? 0));
  }
}

/** New egress addresses in one `ip -batch`, announced in the background; returns the execs made. */
export async function addAddresses(context: ApplyContext, desired: DesiredDatapath, view: KernelView) {
  const added = desired.addresses.filter(
    (address) => !view.addresses.some((held) => held.local === address.ip && held.device === address.device),
  );
  const execs = await context.runner.runIpBatch(
    added.map((address) => addressReplace(address, context.addressLifetimeSeconds)),
  );
  for (const address of added) context.garp.announce(address.ip, address.device);
  return execs;
}

export async function removeAddresses(context: ApplyContext, desired: DesiredDatapath, view: KernelView) {
  const stale = view.addresses.filter(
    (held) =>
      !desired.addresses.some((address) => address.ip === held.local && address.device === held.device),
  );
  return context.runner.runIpBatch(
    stale.map((held) => addressDelete(`${held.local}/${held.prefixLength}`, held.device)),
  );
}

function sameRule(
  rule: { family: number; priority: number; mark: number; mask: number; table: number },
  route: SteeringRoute,
): boolean {
  return (
    rule.family === route.family &&
    rule.priority === route.priority &&
    rule.mark === route.mark &&
    rule.mask === route.mask &&
    rule.table === route.table
  );
}
