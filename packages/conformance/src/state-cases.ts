// Cases about the datapath's life rather than one table: idempotence, render vs kernel, drift, restart
// adoption, address lifetimes, transitions under a connection loop, and cleanup.
import type { ProbeAttempt } from '@egress-proxier/netlab';
import type { EgressKey } from './addresses.js';
import { CaseFailure, type CaseContext, type EgressSpecInput } from './case-context.js';
import { judgeAttempts, pause, type Window } from './expect-source.js';
import { compareRenderWithKernel } from './render-compare.js';

/** A steady state with SNAT on two gateways and steering from every other node. */
function twoGateways(context: CaseContext): void {
  context.world.applyEgress(
    'to-db',
    context.spec({ namespace: 'payments', ips: ['a'], to: 'db', gateway: 'node-1' }),
  );
  context.world.applyEgress('to-web', context.spec({ app: 'web', ips: ['b'], to: 'web', gateway: 'node-2' }));
}

const STEADY_ROWS = [
  ['2-1', 'db', 'a'],
  ['3-1', 'db', 'a'],
  ['1-2', 'web', 'b'],
  ['3-2', 'web', 'b'],
] as const;

export async function idempotentCase(context: CaseContext): Promise<void> {
  twoGateways(context);
  await context.converge();
  const reports = await context.world.syncAll(context.signal);
  const changed = [...reports].filter(([, report]) => report.changed).map(([node]) => node);
  if (changed.length > 0)
    throw new CaseFailure([`a second sync of the same table reported changed=true on ${changed.join(', ')}`]);
  await context.expectSources(STEADY_ROWS);
}

export async function renderMatchesKernelCase(context: CaseContext): Promise<void> {
  twoGateways(context);
  await context.converge();
  const differences: string[] = [];
  const compared = new Set<string>();
  const notCompared = new Set<string>();
  for (const node of context.lab.nodes) {
    const rendered = context.world.plugin.render(context.world.table(node), context.world.optionsOf(node));
    const result = await compareRenderWithKernel(
      rendered,
      {
        read: async (command, args) =>
          (await context.lab.exec(node.namespace, command, args, { allowFailure: true })).stdout,
        nftScratch: (script, listArgs) => nftInScratch(context, script, listArgs),
      },
      node.uplink,
    );
    differences.push(...result.differences.map((d) => `${node.name}: ${d}`));
    result.compared.forEach((title) => compared.add(title));
    result.notCompared.forEach((title) => notCompared.add(title));
  }
  if (compared.size === 0) differences.push('no rendered section is of a kind this suite can read back');
  if (differences.length > 0) throw new CaseFailure(differences);
  context.details.push(`compared: ${[...compared].join(', ')}`);
  if (notCompared.size > 0)
    context.details.push(`not compared (no generic read-back): ${[...notCompared].join(', ')}`);
}

/** Loads a rendered nft script into an empty namespace of the lab's prefix (removed again) and lists it there. */
async function nftInScratch(
  context: CaseContext,
  script: string,
  listArgs: readonly string[],
): Promise<string> {
  const namespace = `${context.lab.prefix}-nftscratch`;
  await context.lab.host.run('ip', ['netns', 'add', namespace]);
  try {
    await context.lab.exec(namespace, 'nft', ['-f', '-'], { input: script });
    return (await context.lab.exec(namespace, 'nft', ['list', ...listArgs])).stdout;
  } finally {
    await context.lab.host.run('ip', ['netns', 'del', namespace], { allowFailure: true });
  }
}

/**
 * Someone removes what the backend put in the kernel outside its netfilter state: the egress address on the
 * gateway and the backend's policy-routing rules on a source node. One periodic sync (same table) repairs it.
 */
export async function driftCase(context: CaseContext): Promise<void> {
  twoGateways(context);
  await context.converge();
  const family = `-${context.family}`;
  const gateway = context.node(1);
  const source = context.node(3);
  const ip = context.egressIP('a');
  await context.lab.exec(
    gateway.namespace,
    'ip',
    [family, 'addr', 'del', `${ip}/${context.family === 4 ? 32 : 128}`, 'dev', gateway.uplink],
    { allowFailure: true },
  );
  const rules = (await context.lab.exec(source.namespace, 'ip', [family, 'rule', 'show'])).stdout.split('\n');
  const ours = rules.filter((line) => /^\d+:/.test(line) && !/^(0|32766|32767):/.test(line));
  for (const rule of ours) {
    const [priority = ''] = rule.split(':');
    await context.lab.exec(source.namespace, 'ip', [family, 'rule', 'del', 'priority', priority], {
      allowFailure: true,
    });
  }
  context.details.push(`removed ${ip} from ${gateway.name} and ${ours.length} ip rule(s) on ${source.name}`);
  const deadline = Date.now() + context.timing.syncPeriodMs;
  await context.world.syncAll(context.signal); // the periodic full sync
  if (Date.now() > deadline) context.details.push('the repairing sync took longer than one sync period');
  await context.expectSources(STEADY_ROWS);
}

/** Samples connections from pods until stopped; each attempt records what the server saw. */
function connectionLoop(
  context: CaseContext,
  rows: readonly (readonly [string, 'db' | 'web'])[],
  intervalMs = 60,
) {
  const attempts = new Map<string, ProbeAttempt[]>();
  // One SYN retransmission (1 s) fits natively; a slower lab host stretches it (LabHost.timeScale).
  const timeoutMs = 1500 * (context.lab.host.timeScale ?? 1);
  let running = true;
  const loops = rows.map(async ([from, to]) => {
    const key = `${from}→${to}`;
    const list: ProbeAttempt[] = [];
    attempts.set(key, list);
    const target = context.address(to);
    const prober = context.world.prober(context.pod(from));
    const inFlight: Promise<void>[] = [];
    while (running) {
      inFlight.push(
        prober.probe(target.ip, target.port, timeoutMs).then((attempt) => void list.push(attempt)),
      );
      await pause(intervalMs);
    }
    await Promise.all(inFlight);
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return attempts;
    },
  };
}

export async function restartAdoptionCase(context: CaseContext): Promise<void> {
  twoGateways(context);
  await context.converge();
  await context.expectSources(STEADY_ROWS);
  const loop = connectionLoop(context, [
    ['2-1', 'db'],
    ['1-1', 'db'],
    ['3-2', 'web'],
  ]);
  await pause(300);
  for (const node of context.lab.nodes) {
    const fresh = await context.world.createProxier(node);
    await fresh.sync(context.world.table(node), context.signal);
    context.world.proxiers.set(node.name, fresh);
  }
  await pause(300);
  const attempts = await loop.stop();
  const problems: string[] = [];
  for (const [key, list] of attempts) {
    const expected = key.endsWith('db') ? context.egressIP('a') : context.egressIP('b');
    const bad = list.filter((attempt) => attempt.source !== expected);
    if (list.length === 0) problems.push(`${key}: no connection was made`);
    for (const attempt of bad.slice(0, 5))
      problems.push(`${key}: ${attempt.source ?? `failed (${attempt.error})`} instead of ${expected}`);
  }
  if (problems.length > 0) throw new CaseFailure(problems);
  context.details.push(
    `${[...attempts.values()].reduce((n, l) => n + l.length, 0)} connections, none failed`,
  );
}

export async function lifetimeExpiryCase(context: CaseContext): Promise<void> {
  context.world.applyEgress(
    'payments',
    context.spec({ namespace: 'payments', ips: ['a'], gateway: 'node-1' }),
  );
  await context.converge();
  const gateway = context.node(1);
  const proxier = context.world.proxier(gateway);
  if (proxier.heartbeat === undefined)
    throw new CaseFailure(['the proxier has no heartbeat(): a crashed agent would keep its egress IPs']);
  const lifetime = 3;
  await proxier.heartbeat(lifetime, context.signal);
  const ip = context.egressIP('a');
  const held = async () =>
    (
      await context.lab.exec(gateway.namespace, 'ip', [
        '-o',
        `-${context.family}`,
        'addr',
        'show',
        'dev',
        gateway.uplink,
      ])
    ).stdout
      .split('\n')
      .find((line) => line.includes(` ${ip}/`));
  const line = await held();
  if (line === undefined) throw new CaseFailure([`${ip} is not on ${gateway.uplink} after the heartbeat`]);
  const lft = /valid_lft (\d+)sec/.exec(line)?.[1];
  if (lft === undefined || Number(lft) > lifetime)
    throw new CaseFailure([`${ip} has lifetime "${/valid_lft \S+/.exec(line)?.[0]}", not ≤ ${lifetime}s`]);
  // The agent "crashes": no more heartbeats, no more syncs. The kernel must drop the address by itself.
  const deadline = Date.now() + (lifetime + 3) * 1000;
  while ((await held()) !== undefined) {
    if (Date.now() > deadline)
      throw new CaseFailure([`${ip} still held ${lifetime + 3}s after the last heartbeat`]);
    await pause(250);
  }
  // The agent restarts: a new proxier adopts the node and programs the IP again.
  context.world.proxiers.set(gateway.name, await context.world.createProxier(gateway));
  await context.world.syncAll(context.signal);
  await context.expectSources([['2-1', 'db', 'a']]);
  context.details.push(`address gone ${lifetime}s after the last heartbeat; restored by a restarted proxier`);
}

interface TransitionStep {
  name: string;
  apply: (context: CaseContext) => void;
}

/**
 * Connections loop from a pod on a source node (node-3) and a pod on a gateway node (node-1) while the
 * policy is created, its IP moves between gateways, a second gateway joins and the policy is deleted. At
 * every moment a connection may only leave with a source allowed before or after the change in progress
 * (or be dropped while it is in progress: the policy is FailClosed, so a hold must never show the node IP).
 */
export async function transitionsCase(context: CaseContext): Promise<void> {
  const spec = (ips: EgressKey[], gateway: string): EgressSpecInput => ({
    namespace: 'payments',
    ips,
    to: 'db',
    gateway,
    failurePolicy: 'FailClosed',
  });
  const steps: TransitionStep[] = [
    { name: 'policy created', apply: (c) => c.world.applyEgress('db', c.spec(spec(['a'], 'node-1'))) },
    {
      name: 'IP moved node-1 → node-2',
      apply: (c) => c.world.applyEgress('db', c.spec(spec(['a'], 'node-2'))),
    },
    {
      name: 'second gateway and IP added',
      apply: (c) => c.world.applyEgress('db', c.spec(spec(['a', 'c'], 'pool'))),
    },
    { name: 'policy deleted', apply: (c) => c.world.deleteEgress('db') },
  ];
  const pods = ['3-1', '1-1'] as const;
  const expected = () =>
    Object.fromEntries(
      pods.map((ref) => {
        const pod = context.pod(ref);
        const policy = context.world.model.acceptedPolicy('db');
        const ip =
          policy === undefined
            ? undefined
            : context.world.model.egressIPFor(policy, context.world.podAddress(pod, context.family));
        return [ref, typeof ip === 'string' ? ip : context.world.nodeAddress(pod.node, context.family)];
      }),
    ) as Record<string, string>;
  let before = expected();
  const windows: Record<string, Window[]> = { '3-1': [], '1-1': [] };
  const loop = connectionLoop(
    context,
    pods.map((ref) => [ref, 'db'] as const),
  );
  let steadyFrom = Date.now();
  await pause(400);
  for (const step of steps) {
    const startedAt = Date.now();
    step.apply(context);
    const after = expected();
    for (const ref of pods) {
      windows[ref]?.push({ from: steadyFrom, to: startedAt, allowed: [before[ref] ?? ''] });
    }
    await context.converge();
    steadyFrom = Date.now();
    // FailClosed: while a change is in progress traffic may be held (dropped), never leave otherwise.
    for (const ref of pods)
      windows[ref]?.push({
        from: startedAt,
        to: steadyFrom,
        allowed: [before[ref] ?? '', after[ref] ?? '', 'dropped'],
      });
    before = after;
    await pause(400);
  }
  for (const ref of pods)
    windows[ref]?.push({ from: steadyFrom, to: Infinity, allowed: [before[ref] ?? ''] });
  const attempts = await loop.stop();
  const problems: string[] = [];
  let total = 0;
  for (const ref of pods) {
    const list = attempts.get(`${ref}→db`) ?? [];
    total += list.length;
    const judged = judgeAttempts(list, windows[ref] ?? []);
    problems.push(...judged.wrongSource.slice(0, 5).map((line) => `pod-${ref} wrong source ${line}`));
    problems.push(
      ...judged.unexpectedFailures.slice(0, 5).map((line) => `pod-${ref} failed in a steady phase ${line}`),
    );
    if (list.length < 10) problems.push(`pod-${ref}: only ${list.length} connections sampled`);
  }
  if (problems.length > 0) throw new CaseFailure(problems);
  context.details.push(`${total} connections through ${steps.length} transitions, none with a wrong source`);
}

/**
 * A gateway that sorts before the others joins: node-2 steers nothing to itself and SNATs db for every pod;
 * then web gets node-1 as its gateway. Source nodes must give node-1 a mark, route table and rule of its own
 * without renumbering node-2's (a backend whose slots follow the sorted gateway list would hand node-1 the
 * slot node-2's traffic uses, for a moment). db's connections, from a source node and from node-1 itself, may
 * not fail or change source while it happens.
 */
export async function gatewaySortingFirstCase(context: CaseContext): Promise<void> {
  context.world.applyEgress(
    'db',
    context.spec({ namespace: 'payments', ips: ['a'], to: 'db', gateway: 'node-2' }),
  );
  await context.converge();
  await context.expectSources([
    ['3-1', 'db', 'a'],
    ['1-1', 'db', 'a'],
  ]);
  const loop = connectionLoop(context, [
    ['3-1', 'db'],
    ['1-1', 'db'],
  ]);
  await pause(400);
  context.world.applyEgress('web', context.spec({ app: 'web', ips: ['b'], to: 'web', gateway: 'node-1' }));
  await context.converge();
  await pause(400);
  const attempts = await loop.stop();
  const expected = context.egressIP('a');
  const problems: string[] = [];
  for (const [key, list] of attempts) {
    if (list.length < 10) problems.push(`${key}: only ${list.length} connections sampled`);
    for (const attempt of list.filter((candidate) => candidate.source !== expected).slice(0, 5))
      problems.push(`${key}: ${attempt.source ?? `failed (${attempt.error})`} instead of ${expected}`);
  }
  if (problems.length > 0) throw new CaseFailure(problems);
  await context.expectSources([
    ['3-2', 'web', 'b'],
    ['2-2', 'web', 'b'],
  ]);
  const total = [...attempts.values()].reduce((n, list) => n + list.length, 0);
  context.details.push(`${total} db connections while node-1 joined, all from ${expected}`);
}
