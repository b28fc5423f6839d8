// Makes the kernel match a DesiredDatapath, starting from a KernelView, with the minimum of commands and in an
// order that never opens a gap: everything a rule refers to (sets, routes, addresses) exists before the
// iptables-restore that uses it, and what is no longer used goes only after it.
import type { Logger } from 'pino';
import type { DesiredDatapath, SteeringRoute } from '../model/desired-datapath.js';
import {
  addressDelete,
  addressReplace,
  fdbAppend,
  fdbDelete,
  routeFlush,
  routeReplace,
  ruleAdd,
  throwRouteDelete,
  throwRouteReplace,
  vxlanAddressAdd,
  ruleDelete,
  vxlanCreate,
  vxlanDelete,
  type Command,
} from '../render/commands.js';
import { clusterSetName } from '../names.js';
import { ipsetScripts } from '../render/ipset-script.js';
import { iptablesRestoreScript, rulesetFingerprint } from '../render/iptables-script.js';
import type { CommandRunner } from './command-runner.js';
import type { GratuitousArp } from './garp.js';
import type { IptablesTools } from './iptables-flavour.js';
import { planJumps } from './jump-plan.js';
import type { KernelView } from './kernel-view.js';

export interface ApplyContext {
  runner: CommandRunner;
  tools: IptablesTools;
  garp: GratuitousArp;
  logger: Logger;
  addressLifetimeSeconds: number;
  vxlanDevice: string;
  uplinkAddress: () => Promise<string>;
}

export interface ApplyOutcome {
  /** Commands run; zero means the kernel already matched. */
  commands: number;
  ipsetChanges: number;
}

export async function applyDatapath(
  context: ApplyContext,
  desired: DesiredDatapath,
  view: KernelView,
): Promise<ApplyOutcome> {
  const { runner } = context;
  let commands = 0;
  const run = async (command: Command, input?: string) => {
    commands++;
    await runner.run(command, input === undefined ? {} : { input });
  };

  // 1. The VXLAN device and its flood entries (every node has the device, so gateways decapsulate).
  const vxlan = desired.vxlan;
  if (vxlan !== undefined) {
    if (!view.vxlan.exists) {
      for (const command of vxlanCreate(vxlan, await context.uplinkAddress())) await run(command);
    } else if (!view.vxlan.addressed) {
      await run(vxlanAddressAdd(vxlan.device));
    }
    const known = new Set(view.vxlan.exists ? view.vxlan.remotes : []);
    for (const remote of vxlan.remotes) if (!known.has(remote)) await run(fdbAppend(vxlan.device, remote));
  }

  // 2. ipsets by difference, before any rule names them.
  const sets = ipsetScripts(desired.ipsets, view.ipsets, setPrecedence(desired));
  if (sets.update !== '') await run({ command: 'ipset', args: ['restore', '-exist'] }, sets.update);

  // 3. Steering routes, then the rules that select them.
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
  for (const route of desired.routes)
    if (!view.rules.some((rule) => sameRule(rule, route))) await run(ruleAdd(route));

  // 4. Egress addresses, announced in the background.
  const newAddresses = desired.addresses.filter(
    (address) => !view.addresses.some((held) => held.local === address.ip && held.device === address.device),
  );
  commands += await runner.runIpBatch(
    newAddresses.map((address) => addressReplace(address, context.addressLifetimeSeconds)),
  );
  for (const address of newAddresses) context.garp.announce(address.ip, address.device);

  // 5. One iptables-restore per family, when a chain or a jump differs.
  for (const ruleset of desired.rulesets) {
    const known = view.iptables.get(ruleset.family);
    const jumps = known?.kind === 'read' && known.saved !== undefined ? planJumps(ruleset, known.saved) : [];
    const unchanged =
      known?.kind === 'applied' && rulesetFingerprint(known.ruleset) === rulesetFingerprint(ruleset);
    if (unchanged) continue;
    await run(
      { command: context.tools.restore(ruleset.family), args: ['-w', '--noflush'] },
      iptablesRestoreScript(ruleset, jumps),
    );
  }

  // 6. What is no longer wanted, now that no rule refers to it.
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
  if (sets.destroy !== '') await run({ command: 'ipset', args: ['restore', '-exist'] }, sets.destroy);
  const staleAddresses = view.addresses.filter(
    (held) =>
      !desired.addresses.some((address) => address.ip === held.local && address.device === held.device),
  );
  commands += await runner.runIpBatch(
    staleAddresses.map((held) => addressDelete(`${held.local}/${held.prefixLength}`, held.device)),
  );
  if (vxlan !== undefined) {
    const wanted = new Set(vxlan.remotes);
    for (const remote of view.vxlan.remotes)
      if (!wanted.has(remote)) await run(fdbDelete(vxlan.device, remote));
  } else if (view.vxlan.exists) {
    await run(vxlanDelete(context.vxlanDevice));
  }
  return { commands, ipsetChanges: sets.changes };
}

/** Position of the first rule using each set (per family); the cluster sets, consulted first, come before all. */
function setPrecedence(desired: DesiredDatapath): (name: string) => number {
  const positions = new Map<string, number>();
  for (const ruleset of desired.rulesets) {
    ruleset.rules.forEach((rule, index) => {
      for (const set of rule.sets) if (!positions.has(set)) positions.set(set, index);
    });
  }
  const clusterSets = new Set([clusterSetName(4), clusterSetName(6)]);
  return (name) => (clusterSets.has(name) ? -1 : (positions.get(name) ?? Infinity));
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
