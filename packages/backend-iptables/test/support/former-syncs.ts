// How syncs applied a change before the safe transitions, kept as negative controls: the transition tracer must
// find the wrong sources and wrong gateways they caused. Each replaces a node's next sync (see Transition).
import { systemClock } from '@egress-proxier/core';
import {
  CommandRunner,
  NeighbourAnnouncer,
  routeFlush,
  routeReplace,
  ruleAdd,
  ruleDelete,
  steeringDriver,
} from '@egress-proxier/node-datapath';
import { applyDatapath } from '../../src/apply/datapath-applier.js';
import { iptablesTools } from '../../src/apply/iptables-flavour.js';
import { viewOfApplied } from '../../src/apply/kernel-view.js';
import { buildDatapath, freshSlots } from '../../src/model/build-datapath.js';
import type { DesiredDatapath } from '../../src/model/desired-datapath.js';
import { parseOptions } from '../../src/options.js';
import { planIpsets, restoreInput } from '../../src/render/ipset-script.js';
import { restoreScript } from '../../src/render/iptables-script.js';
import { TABLES } from '../../src/names.js';
import { logger } from './lab-cluster.js';
import type { SimulatedKernel } from './simulated-kernel.js';
import type { Transition } from './transition-tracer.js';

/** The datapath a node with no slot history gives a table: gateways numbered by sorted name. */
function sortedDatapath(options: Record<string, string | number>, table: Parameters<typeof freshSlots>[0]) {
  const parsed = parseOptions({ uplink: 'eth0', ...options });
  return buildDatapath(table, parsed, { uplink: 'eth0' }, freshSlots(table, parsed));
}

/** Slots by sorted gateway name, renumbered every sync (otherwise today's apply). */
export function sortedSlots(options: Record<string, string | number>): Transition {
  return async ({ node, kernel, before, after }) => {
    const parsed = parseOptions({ uplink: 'eth0', ...options });
    const runner = new CommandRunner(kernel, undefined);
    await applyDatapath(
      {
        runner,
        tools: iptablesTools('nft'),
        announcer: new NeighbourAnnouncer(kernel, logger, systemClock, 0),
        steering: steeringDriver(parsed, 'eth0'),
        logger,
        addressLifetimeSeconds: 60,
        uplinkAddress: () => Promise.resolve(node.nodeIP),
      },
      sortedDatapath(options, after),
      viewOfApplied(sortedDatapath(options, before), { ipvs: undefined }),
    );
  };
}

/** One iptables-restore with all three tables per sync, as before (sets and routes as today). */
export function singleRestore(options: Record<string, string | number>): Transition {
  return async ({ kernel, before, after }) => {
    const previous = sortedDatapath(options, before);
    const next = sortedDatapath(options, after);
    const run = (command: string, args: string[], input?: string) =>
      kernel.run({ command, args, ...(input === undefined ? {} : { input }) });
    const sets = planIpsets(next.ipsets, new Map(previous.ipsets.map((set) => [set.name, set])));
    await run('ipset', ['restore', '-exist'], restoreInput([...sets.create, ...sets.update]));
    for (const route of next.routes) {
      await runCommand(kernel, routeReplace(route));
      if (!previous.routes.some((held) => held.table === route.table))
        await runCommand(kernel, ruleAdd(route));
    }
    for (const ruleset of next.rulesets) {
      await run('iptables-nft-restore', ['-w', '--noflush'], restoreScript(ruleset.chains, [], TABLES));
    }
    await removeStaleRoutes(kernel, previous, next);
    if (sets.destroy.length > 0) await run('ipset', ['restore', '-exist'], restoreInput(sets.destroy));
  };
}

/** Set members changed set by set (each set's additions, then its deletions), as before. */
export function perSetIpsetOrder(options: Record<string, string | number>): Transition {
  return async ({ kernel, before, after }) => {
    const previous = sortedDatapath(options, before);
    const next = sortedDatapath(options, after);
    const plan = planIpsets(next.ipsets, new Map(previous.ipsets.map((set) => [set.name, set])));
    const names = [...new Set(plan.update.map((line) => line.split(' ')[1] ?? ''))].sort();
    const lines = names.flatMap((name) => [
      ...plan.update.filter((line) => line.startsWith(`add ${name} `)),
      ...plan.update.filter((line) => line.startsWith(`del ${name} `)),
    ]);
    await kernel.run({ command: 'ipset', args: ['restore', '-exist'], input: restoreInput(lines) });
  };
}

async function removeStaleRoutes(kernel: SimulatedKernel, previous: DesiredDatapath, next: DesiredDatapath) {
  for (const route of previous.routes) {
    if (next.routes.some((wanted) => wanted.table === route.table && wanted.mark === route.mark)) continue;
    await runCommand(kernel, ruleDelete(route));
    if (!next.routes.some((wanted) => wanted.table === route.table)) {
      await runCommand(kernel, routeFlush(route.family, route.table));
    }
  }
}

function runCommand(kernel: SimulatedKernel, command: { command: string; args: string[] }) {
  return kernel.run(command);
}
