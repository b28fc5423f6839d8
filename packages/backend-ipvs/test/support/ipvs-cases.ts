// The IPVS backend's own conformance cases, run after the shared ones in the guest: what the shared drift
// and restart cases cannot see because it lives in IPVS (services and their real servers).
import { setTimeout as sleep } from 'node:timers/promises';
import { CaseFailure, type CaseContext, type ConformanceCase } from '@egress-proxier/conformance';
import { parseIpvsSave, serviceKey, type IpvsService } from '@egress-proxier/node-datapath';

/** Pods 3-1 (node 3) and 2-1 (node 2) reach db through gateway node-1 with egress IP `a`. */
function steerToNode1(context: CaseContext): void {
  context.world.applyEgress(
    'to-db',
    context.spec({ namespace: 'payments', ips: ['a'], to: 'db', gateway: 'node-1' }),
  );
}

const ROWS = [
  ['3-1', 'db', 'a'],
  ['2-1', 'db', 'a'],
] as const;

async function servicesOf(context: CaseContext, index: number): Promise<IpvsService[]> {
  const node = context.node(index);
  const saved = await context.lab.exec(node.namespace, 'ipvsadm', ['-S', '-n']);
  return parseIpvsSave(saved.stdout).filter((service) => service.family === context.family);
}

function describe(services: readonly IpvsService[]): string {
  return services
    .map((s) => `${serviceKey(s)} → ${s.realServer ?? 'several/none'} ${s.forwarding}`)
    .join(', ');
}

/** Connections each of our services has scheduled since it was created (`ipvsadm -L -n --stats`). */
async function connectionCounters(context: CaseContext, index: number): Promise<Map<string, number>> {
  const listed = await context.lab.exec(context.node(index).namespace, 'ipvsadm', ['-L', '-n', '--stats']);
  const counters = new Map<string, number>();
  for (const line of listed.stdout.split('\n')) {
    const [kind, mark, ...rest] = line.trim().split(/\s+/);
    if (kind !== 'FWM' || mark === undefined) continue;
    const v6 = rest[0] === 'IPv6';
    if ((context.family === 6) !== v6) continue;
    const conns = Number(v6 ? rest[1] : rest[0]);
    if (conns > 0) counters.set(`fwmark ${mark}`, conns);
  }
  return counters;
}

/**
 * The counters once they show the connections made: the kernel sums its per-CPU counters into what ipvsadm
 * reads only in the estimator, every 2 s (later under TCG on a loaded host), so fresh traffic shows late.
 */
async function countedConnections(context: CaseContext, index: number): Promise<Map<string, number>> {
  const deadline = Date.now() + ESTIMATOR_WAIT_MS;
  for (;;) {
    const counters = await connectionCounters(context, index);
    if (counters.size > 0 || Date.now() > deadline) return counters;
    await sleep(500, undefined, { signal: context.signal });
  }
}

/** Five estimator periods. */
const ESTIMATOR_WAIT_MS = 10_000;

async function ipvsadm(context: CaseContext, index: number, args: string[]): Promise<void> {
  await context.lab.exec(context.node(index).namespace, 'ipvsadm', args);
}

export const IPVS_CASES: readonly ConformanceCase[] = [
  {
    id: 'ipvs-services-repaired',
    title:
      'a deleted IPVS service, and a foreign real server added to one, are repaired by one periodic sync',
    async run(context) {
      steerToNode1(context);
      await context.converge();
      const gatewayIP = context.world.nodeAddress(context.node(1), context.family);
      const [onNode3] = await servicesOf(context, 3);
      const [onNode2] = await servicesOf(context, 2);
      if (onNode3?.realServer !== gatewayIP || onNode2?.realServer !== gatewayIP)
        throw new CaseFailure([
          `expected one service to ${gatewayIP} on node-2 and node-3, found ${describe([onNode2, onNode3].flatMap((s) => s ?? []))}`,
        ]);
      const family = context.family === 6 ? ['-6'] : [];
      const stranger = context.world.nodeAddress(context.node(2), context.family);
      await ipvsadm(context, 3, ['-D', '-f', String(onNode3.fwmark), ...family]);
      await ipvsadm(context, 2, [
        '-a',
        '-f',
        String(onNode2.fwmark),
        ...family,
        '-r',
        context.family === 6 ? `[${stranger}]:0` : stranger,
        '-g',
        '-w',
        '1',
      ]);
      context.details.push(
        `deleted ${serviceKey(onNode3)} on node-3, added real server ${stranger} on node-2`,
      );
      await context.world.syncAll(context.signal); // the periodic full sync
      const after = [...(await servicesOf(context, 3)), ...(await servicesOf(context, 2))];
      if (after.length !== 2 || after.some((service) => service.realServer !== gatewayIP))
        throw new CaseFailure([
          `after one sync: ${describe(after)} (want one service to ${gatewayIP} on each)`,
        ]);
      await context.expectSources(ROWS);
    },
  },
  {
    id: 'ipvs-restart-keeps-services',
    title:
      'a restarted proxier adopts the IPVS services as they are: same marks, not re-created (counters kept)',
    async run(context) {
      steerToNode1(context);
      await context.converge();
      await context.expectSources(ROWS);
      const before = await servicesOf(context, 3);
      const node = context.node(3);
      const countedBefore = await countedConnections(context, 3);
      const fresh = await context.world.createProxier(node);
      await fresh.sync(context.world.table(node), context.signal);
      context.world.proxiers.set(node.name, fresh);
      const after = await servicesOf(context, 3);
      const problems: string[] = [];
      if (describe(after) !== describe(before))
        problems.push(`services changed: ${describe(before)} → ${describe(after)}`);
      // A service deleted and added again (what adoption must not do: its connections would be expired) starts
      // its counters from zero; an adopted one keeps counting.
      const countedAfter = await connectionCounters(context, 3);
      for (const [service, count] of countedBefore) {
        if ((countedAfter.get(service) ?? 0) < count)
          problems.push(
            `${service}: ${count} connections counted before, ${countedAfter.get(service) ?? 0} after`,
          );
      }
      if (countedBefore.size === 0)
        problems.push(
          `no IPVS service had counted a connection ${ESTIMATOR_WAIT_MS / 1000} s after traffic, before the restart`,
        );
      if (problems.length > 0) throw new CaseFailure(problems);
      context.details.push(`${describe(after)} kept`);
      await context.expectSources(ROWS);
    },
  },
];
