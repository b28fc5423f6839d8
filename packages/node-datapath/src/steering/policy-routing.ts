// Steering routes and the rules that select them: added before the datapath that marks packets for them,
// removed after the last mark for them is gone. Slots are stable (GatewaySlotAllocator), so a route that exists
// is only ever replaced toward the same gateway, and a new slot's route leads where no mark leads yet.
import {
  routeFlush,
  routeReplace,
  ruleAdd,
  ruleDelete,
  throwRouteDelete,
  throwRouteReplace,
} from '../iproute2/routing-commands.js';
import type { NodeKernelView } from '../kernel/node-kernel-view.js';
import type { Run } from './drivers/steering-driver.js';
import { sameRule, type SteeringRoute } from './steering-route.js';

/** Steering routes, then the rules that select them. */
export async function addSteering(run: Run, routes: readonly SteeringRoute[], view: NodeKernelView) {
  for (const route of routes) {
    const current = view.routes.find(
      (r) => r.family === route.family && r.table === route.table && r.dst === 'default',
    );
    const held =
      route.type === 'local'
        ? current?.type === 'local' && current.device === route.device
        : current?.type === 'unicast' && current.via === route.via && current.device === route.device;
    if (!held) await run(routeReplace(route));
    const endpoint = route.tunnelEndpoint;
    if (endpoint === undefined) continue;
    const exempt = view.routes.some(
      (r) => r.family === route.family && r.table === route.table && r.type === 'throw' && r.dst === endpoint,
    );
    if (!exempt) await run(throwRouteReplace(route.family, endpoint, route.table));
  }
  for (const route of routes) {
    if (!view.rules.some((rule) => sameRule(rule, route))) await run(ruleAdd(route));
  }
}

/** Rules first (no packet is sent to a table any more), then the tables' routes. */
export async function removeSteering(run: Run, routes: readonly SteeringRoute[], view: NodeKernelView) {
  for (const rule of view.rules) {
    if (!routes.some((route) => sameRule(rule, route))) await run(ruleDelete(rule));
  }
  const staleTables = new Set(
    view.routes
      .filter((r) => !routes.some((route) => route.family === r.family && route.table === r.table))
      .map((r) => `${r.family}/${r.table}`),
  );
  for (const held of view.routes) {
    if (held.type !== 'throw' || staleTables.has(`${held.family}/${held.table}`)) continue;
    const wanted = routes.some(
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
