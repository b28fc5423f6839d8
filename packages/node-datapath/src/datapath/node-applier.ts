// Makes the node-level kernel state match a NodeDatapath in two phases around the backend's own datapath
// change: `prepareNode` adds what the new datapath will use (tunnel, routes and rules, addresses) before it
// is programmed; `retireNode` removes what the old one used (rules, then routes, addresses, tunnel entries)
// after it is gone. Every intermediate state is then safe: no mark leads to a missing route, no SNAT to a
// missing address.
import type { Announcer } from '../announce/announcer.js';
import { addAddresses, removeAddresses } from '../addresses/address-apply.js';
import type { CommandRunner } from '../exec/command-runner.js';
import type { NodeKernelView } from '../kernel/node-kernel-view.js';
import type { Run, SteeringDriver } from '../steering/drivers/steering-driver.js';
import { addSteering, removeSteering } from '../steering/policy-routing.js';
import type { NodeDatapath } from './node-datapath.js';

export interface NodeApplyContext {
  runner: CommandRunner;
  announcer: Announcer;
  steering: SteeringDriver;
  /** Lifetime of addresses added now (the last heartbeat's). */
  addressLifetimeSeconds: number;
  uplinkAddress: () => Promise<string>;
}

/** Returns the execs made outside `run` (address batches). */
export async function prepareNode(
  run: Run,
  context: NodeApplyContext,
  desired: NodeDatapath,
  view: NodeKernelView,
): Promise<number> {
  await context.steering.prepare(run, context, desired, view);
  await addSteering(run, desired.routes, view);
  return addAddresses(
    context.runner,
    context.announcer,
    context.addressLifetimeSeconds,
    desired.addresses,
    view.addresses,
  );
}

/** Returns the execs made outside `run` (address batches). */
export async function retireNode(
  run: Run,
  context: NodeApplyContext,
  desired: NodeDatapath,
  view: NodeKernelView,
): Promise<number> {
  await removeSteering(run, desired.routes, view);
  const execs = await removeAddresses(context.runner, desired.addresses, view.addresses);
  await context.steering.retire(run, context, desired, view);
  return execs;
}
