// Traces a cluster through a change of tables. Each node's proxier syncs from its `before` table to its `after`
// table on a SimulatedKernel, which records a snapshot after every committed step. Nodes sync independently, so a
// packet may meet any snapshot of its own node and, once steered, any snapshot of the gateway it reaches. Every
// such combination must drop the packet or let it leave with the source (and through the gateways) that the
// all-old or the all-new cluster gives it: never masqueraded with a node IP where either table says snat,
// steer or drop, never steered to a gateway neither table names.
import { cidrContainsIP, parseCidr, systemClock, type NodeEgressTable } from '@egress-proxier/core';
import { expect } from 'chai';
import plugin from '../../src/index.js';
import type { IptablesProxier } from '../../src/proxier.js';
import { logger } from './lab-cluster.js';
import { NodeTracer, type Packet } from './packet-tracer.js';
import { SimulatedKernel, tracerView, type KernelState, type Snapshot } from './simulated-kernel.js';

export interface ClusterNode {
  name: string;
  nodeIP: string;
}

export interface NodeHistory extends ClusterNode {
  before: NodeEgressTable;
  after: NodeEgressTable;
  /** The kernel before the change, after every committed step of it, and at the end. */
  snapshots: Snapshot[];
}

/** How a node goes from `before` to `after`; the default is its proxier's next sync. */
export type Transition = (step: {
  node: ClusterNode;
  kernel: SimulatedKernel;
  proxier: IptablesProxier;
  before: NodeEgressTable;
  after: NodeEgressTable;
}) => Promise<void>;

export const nextSync: Transition = async ({ proxier, after }) => {
  await proxier.sync(after, new AbortController().signal);
};

export async function simulateCluster(
  nodes: readonly ClusterNode[],
  before: Readonly<Record<string, NodeEgressTable>>,
  after: Readonly<Record<string, NodeEgressTable>>,
  options: Record<string, string | number>,
  transition: Transition = nextSync,
): Promise<NodeHistory[]> {
  const histories: NodeHistory[] = [];
  for (const node of nodes) {
    const kernel = new SimulatedKernel('eth0', node.nodeIP);
    const proxier = await simulatedProxier(node, kernel, options);
    const from = tableOf(before, node.name);
    const to = tableOf(after, node.name);
    await proxier.sync(from, new AbortController().signal);
    kernel.mark('before');
    await transition({ node, kernel, proxier, before: from, after: to });
    histories.push({ ...node, before: from, after: to, snapshots: [...kernel.snapshots] });
  }
  return histories;
}

export async function simulatedProxier(
  node: ClusterNode,
  kernel: SimulatedKernel,
  options: Record<string, string | number>,
): Promise<IptablesProxier> {
  return (await plugin.create({
    nodeName: node.name,
    exec: kernel,
    logger,
    clock: systemClock,
    options: { uplink: 'eth0', iptablesMode: 'nft', garpCount: 0, ...options },
  })) as IptablesProxier;
}

function tableOf(tables: Readonly<Record<string, NodeEgressTable>>, node: string): NodeEgressTable {
  return tables[node] ?? { node, clusterCIDRs: [], hostedEgressIPs: [], sourceSets: [], rules: [] };
}

export interface Outcome {
  /** The source the packet leaves with, or 'dropped'. */
  source: string;
  /** Gateway nodes it was steered through. */
  path: string[];
  /** The snapshot of each node it met. */
  states: string[];
}

export interface Violation {
  packet: Packet;
  from: string;
  outcome: Outcome;
  allowed: { old: Outcome; new: Outcome };
}

export interface TraceOptions {
  /** The node a pod runs on. */
  homeOf: (pod: string) => string;
  /** Snapshots to leave out per node (e.g. damage done before a repair). */
  skip?: (node: string, snapshot: Snapshot, index: number) => boolean;
  /** Changes each snapshot before tracing (negative controls). */
  edit?: (state: KernelState) => KernelState;
}

/** Every packet of interest through every combination of snapshots; what is not allowed. */
export function violations(histories: readonly NodeHistory[], options: TraceOptions): Violation[] {
  const byName = new Map(histories.map((history) => [history.name, history]));
  const tracers = new Map<Snapshot, NodeTracer>();
  const tracerOf = (snapshot: Snapshot) => {
    let tracer = tracers.get(snapshot);
    if (tracer === undefined) {
      const state = options.edit?.(snapshot.state) ?? snapshot.state;
      tracer = new NodeTracer(tracerView(state, 4));
      tracers.set(snapshot, tracer);
    }
    return tracer;
  };
  const found: Violation[] = [];
  for (const { pod, dst } of packetsOf(histories)) {
    const from = options.homeOf(pod);
    const packet: Packet = { src: pod, dst };
    const only = (pick: (history: NodeHistory) => Snapshot) => (history: NodeHistory) => [pick(history)];
    const old = walk(
      byName,
      from,
      packet,
      only((h) => h.snapshots[0] as Snapshot),
      tracerOf,
    );
    const fresh = walk(
      byName,
      from,
      packet,
      only((h) => h.snapshots.at(-1) as Snapshot),
      tracerOf,
    );
    const [oldOutcome, newOutcome] = [old[0], fresh[0]];
    if (oldOutcome === undefined || newOutcome === undefined) throw new Error('no outcome');
    const every = (history: NodeHistory) =>
      history.snapshots.filter(
        (snapshot, index) => !(options.skip?.(history.name, snapshot, index) ?? false),
      );
    for (const outcome of walk(byName, from, packet, every, tracerOf)) {
      const sourceAllowed =
        outcome.source === 'dropped' ||
        outcome.source === oldOutcome.source ||
        outcome.source === newOutcome.source;
      // A dropped packet may stop short of the gateways; one that leaves must have taken an allowed path.
      const pathFits = (allowed: readonly string[]) =>
        outcome.source === 'dropped' ? isPrefix(outcome.path, allowed) : samePath(outcome.path, allowed);
      const pathAllowed = pathFits(oldOutcome.path) || pathFits(newOutcome.path);
      if (!sourceAllowed || !pathAllowed) {
        found.push({ packet, from, outcome, allowed: { old: oldOutcome, new: newOutcome } });
      }
    }
  }
  return found;
}

/** Fails with the first violations, readable. */
export function expectNoViolations(found: readonly Violation[]): void {
  const shown = found
    .slice(0, 5)
    .map(
      (v) =>
        `${v.packet.src} (${v.from}) → ${v.packet.dst}: ${v.outcome.source} via [${v.outcome.path.join(', ')}] ` +
        `at ${v.outcome.states.join(' | ')}; allowed ${v.allowed.old.source} via [${v.allowed.old.path.join(', ')}] ` +
        `or ${v.allowed.new.source} via [${v.allowed.new.path.join(', ')}]`,
    );
  expect(shown, `${found.length} violations`).to.deep.equal([]);
}

function walk(
  nodes: ReadonlyMap<string, NodeHistory>,
  at: string,
  packet: Packet,
  snapshotsOf: (history: NodeHistory) => Snapshot[],
  tracerOf: (snapshot: Snapshot) => NodeTracer,
  path: string[] = [],
  states: string[] = [],
): Outcome[] {
  const node = nodes.get(at);
  if (node === undefined) throw new Error(`no node ${at}`);
  if (path.length > 3) throw new Error(`packet ${packet.src} → ${packet.dst} is steered in a loop`);
  const outcomes: Outcome[] = [];
  for (const snapshot of snapshotsOf(node)) {
    const verdict = tracerOf(snapshot).trace(packet);
    const met = [...states, `${node.name}: ${snapshot.step}`];
    switch (verdict.kind) {
      case 'dropped':
        outcomes.push({ source: 'dropped', path, states: met });
        break;
      case 'snat':
        outcomes.push({ source: verdict.to, path, states: met });
        break;
      case 'untouched': {
        const cluster = node.after.clusterCIDRs.some((cidr) => contains(cidr, packet.dst));
        outcomes.push({ source: cluster ? packet.src : node.nodeIP, path, states: met });
        break;
      }
      case 'steered': {
        const gateway = [...nodes.values()].find((candidate) => candidate.nodeIP === verdict.via);
        if (gateway === undefined) throw new Error(`steered to ${verdict.via}, which is no node`);
        const arriving = { ...packet, inInterface: verdict.device };
        outcomes.push(
          ...walk(nodes, gateway.name, arriving, snapshotsOf, tracerOf, [...path, gateway.name], met),
        );
        break;
      }
      case 'forwarded':
        throw new Error('only new connections are traced');
    }
  }
  return outcomes;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && isPrefix(a, b);
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((node, index) => node === path[index]);
}

/** Every pod any table names (and one unselected pod per pod subnet), to every destination a rule names. */
function packetsOf(histories: readonly NodeHistory[]): { pod: string; dst: string }[] {
  const tables = histories.flatMap((history) => [history.before, history.after]);
  const pods = new Set<string>();
  const destinations = new Set(['198.51.100.99', '203.0.113.99', '10.244.9.9']);
  for (const table of tables) {
    for (const set of table.sourceSets) if (set.family === 4) set.addresses.forEach((a) => pods.add(a));
    for (const rule of table.rules) {
      if (rule.family !== 4) continue;
      destinations.add(firstHost(rule.destination));
      rule.excludedCIDRs.forEach((cidr) => destinations.add(firstHost(cidr)));
    }
  }
  for (const pod of [...pods]) pods.add(pod.replace(/\.\d+$/, '.99'));
  return [...pods].sort().flatMap((pod) => [...destinations].sort().map((dst) => ({ pod, dst })));
}

/** A host inside a CIDR (a fixed outside address for the default route). */
function firstHost(cidr: string): string {
  if (cidr === '0.0.0.0/0') return '198.51.100.99';
  const [address = '', length = '32'] = cidr.split('/');
  if (length === '32') return address;
  const octets = address.split('.').map(Number);
  octets[3] = (octets[3] ?? 0) + 1;
  return octets.join('.');
}

function contains(cidr: string, address: string): boolean {
  const parsed = parseCidr(cidr.includes('/') ? cidr : `${cidr}/32`);
  if ('error' in parsed) throw new Error(`bad CIDR ${cidr}: ${parsed.error}`);
  return cidrContainsIP(parsed.cidr, address);
}
