// Random egress tables and packets for property tests, from a seeded generator so a failure replays.
// Prefixes are drawn around a few anchors so that destinations, exclusions and cluster ranges nest and
// overlap often; packets favour the first and last address of each prefix and their outer neighbours.
import ipaddr from 'ipaddr.js';
import type { IPFamily } from '../../src/net/ip.js';
import type {
  EgressAction,
  EgressRule,
  NodeEgressTable,
  SourceSet,
} from '../../src/table/node-egress-table.js';
import { EgressModel } from '../../src/model/egress-model.js';
import { buildNodeEgressTable } from '../../src/table/build-node-table.js';
import { egress, namespace, node, pod } from './builders.js';

/** mulberry32: tiny, fast, and good enough to explore tables. */
export class Prng {
  constructor(private state: number) {}

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  some<T>(items: readonly T[], min = 0): T[] {
    const chosen = items.filter(() => this.chance(0.5));
    while (chosen.length < min) chosen.push(this.pick(items.filter((item) => !chosen.includes(item))));
    return chosen;
  }
}

const WIDTH: Record<IPFamily, number> = { 4: 32, 6: 128 };
const ANCHORS: Record<IPFamily, string[]> = {
  4: ['203.0.113.0', '203.0.113.128', '203.0.112.0', '198.51.100.0', '10.244.1.0', '10.96.0.0'],
  6: ['2001:db8::', '2001:db8::100', '2001:db8:0:1::', 'fd00:10:244:1::', 'fd00:10:96::'],
};
const LENGTHS: Record<IPFamily, number[]> = {
  4: [0, 8, 16, 20, 23, 24, 24, 25, 25, 26, 27, 28, 29, 30, 31, 32],
  6: [0, 32, 48, 64, 64, 112, 118, 120, 120, 121, 122, 124, 126, 127, 128],
};
/** Pod IPs: few, so source sets overlap. */
const POD_IPS: Record<IPFamily, string[]> = {
  4: ['10.244.1.2', '10.244.1.3', '10.244.1.4', '10.244.1.5', '10.244.2.6', '10.244.2.7'],
  6: ['fd00:10:244:1::2', 'fd00:10:244:1::3', 'fd00:10:244:1::4', 'fd00:10:244:2::5', 'fd00:10:244:2::6'],
};
const OUTSIDERS: Record<IPFamily, string> = { 4: '10.244.9.9', 6: 'fd00:10:244:9::9' };

export interface Range {
  family: IPFamily;
  network: bigint;
  length: number;
}

export function valueOf(address: string): bigint {
  return ipaddr
    .parse(address)
    .toByteArray()
    .reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

export function addressOf(value: bigint, family: IPFamily): string {
  const bytes: number[] = [];
  for (let i = WIDTH[family] / 8 - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

export function rangeOf(cidr: string): Range {
  const [address = '', length = ''] = cidr.split('/');
  return { family: address.includes(':') ? 6 : 4, network: valueOf(address), length: Number(length) };
}

function cidrOf({ family, network, length }: Range): string {
  const host = WIDTH[family] - length;
  return `${addressOf((network >> BigInt(host)) << BigInt(host), family)}/${length}`;
}

function randomBits(rng: Prng, bits: number): bigint {
  let value = 0n;
  for (let i = 0; i < bits; i += 16) value = (value << 16n) | BigInt(rng.int(0x10000));
  return value & ((1n << BigInt(bits)) - 1n);
}

/** A prefix near an anchor, or (with `inside`) a random prefix within `inside`. */
export function randomCidr(rng: Prng, family: IPFamily, inside?: string): string {
  if (inside !== undefined) {
    const outer = rangeOf(inside);
    const length = outer.length + rng.int(WIDTH[family] - outer.length + 1);
    const host = WIDTH[family] - outer.length;
    return cidrOf({ family, length, network: outer.network | randomBits(rng, host) });
  }
  const anchor = valueOf(rng.pick(ANCHORS[family]));
  return cidrOf({ family, length: rng.pick(LENGTHS[family]), network: anchor | randomBits(rng, 9) });
}

/** A few consecutive host routes, like a cluster's node IPs (the compiler may merge them). */
function consecutiveHosts(rng: Prng, family: IPFamily): string[] {
  const start = valueOf(rng.pick(ANCHORS[family])) + randomBits(rng, 6);
  return Array.from({ length: 2 + rng.int(5) }, (_, i) =>
    cidrOf({ family, network: start + BigInt(i), length: WIDTH[family] }),
  );
}

function randomAction(
  rng: Prng,
  family: IPFamily,
): { action: EgressAction; failurePolicy: EgressRule['failurePolicy'] } {
  const failurePolicy = rng.pick(['FailClosed', 'FailOpen'] as const);
  const egressIP = rng.pick(
    family === 4 ? ['192.0.2.100', '192.0.2.101'] : ['2001:db8:e::1', '2001:db8:e::2'],
  );
  switch (rng.int(4)) {
    case 0:
      return { action: { kind: 'snat', egressIP }, failurePolicy };
    case 1: {
      const n = rng.pick([2, 3]);
      const gateway = {
        node: `node-${n === 2 ? 'b' : 'c'}`,
        nodeIP: family === 4 ? `198.18.0.${n}` : `2001:db8:ff::${n}`,
      };
      return { action: { kind: 'steer', egressIP, gateway }, failurePolicy };
    }
    case 2:
      return { action: { kind: 'drop' }, failurePolicy: 'FailClosed' };
    default:
      return { action: { kind: 'bypass' }, failurePolicy: 'FailOpen' };
  }
}

const uniqueSorted = (items: string[]) => [...new Set(items)].sort();

/**
 * A table made directly, in an arbitrary rule order: the compiler must follow the order it is given, not
 * the order buildNodeEgressTable happens to produce.
 */
export function randomRawTable(rng: Prng): NodeEgressTable {
  const policies = ['p0', 'p1', 'p2', 'p3'];
  const sets: (SourceSet & { action: ReturnType<typeof randomAction> })[] = [];
  for (let i = 0, n = 1 + rng.int(5); i < n; i++) {
    const family = rng.pick([4, 6] as const);
    const policy = rng.pick(policies);
    sets.push({
      id: `${policy}/set-${i}`,
      policy,
      family,
      addresses: uniqueSorted(rng.some(POD_IPS[family], 1)),
      action: randomAction(rng, family),
    });
  }
  const rules: EgressRule[] = [];
  for (let i = 0, n = 1 + rng.int(9); i < n; i++) {
    const set = rng.pick(sets);
    const destination = rng.chance(0.2)
      ? set.family === 4
        ? '0.0.0.0/0'
        : '::/0'
      : randomCidr(rng, set.family);
    const excluded = Array.from({ length: rng.pick([0, 0, 1, 1, 2, 3]) }, () =>
      rng.chance(0.7) ? randomCidr(rng, set.family, destination) : randomCidr(rng, set.family),
    );
    rules.push({
      policy: set.policy,
      family: set.family,
      sourceSet: set.id,
      destination,
      excludedCIDRs: uniqueSorted(excluded),
      failurePolicy: set.action.failurePolicy,
      action: set.action.action,
    });
  }
  // Half the tables in builder-like order (longest destination first), half in any order.
  if (rng.chance(0.5)) rules.sort((a, b) => rangeOf(b.destination).length - rangeOf(a.destination).length);
  const cluster: string[] = [];
  for (let i = 0, n = rng.int(4); i < n; i++) cluster.push(randomCidr(rng, rng.pick([4, 6] as const)));
  if (rng.chance(0.3)) cluster.push(...consecutiveHosts(rng, rng.pick([4, 6] as const)));
  return {
    node: 'node-a',
    clusterCIDRs: uniqueSorted(cluster),
    hostedEgressIPs: [],
    sourceSets: sets.map(({ action: _action, ...set }) => set).sort((a, b) => (a.id < b.id ? -1 : 1)),
    rules,
  };
}

/**
 * The tables of every node of a small random dual-stack cluster, built by the real builder: priorities,
 * ages, equal and nested destinations, exclusions, failure policies and gateways that are down.
 */
export function randomModelTables(rng: Prng): NodeEgressTable[] {
  const model = new EgressModel({
    clusterCIDRs: rng.some(['10.244.0.0/16', '10.96.0.0/12', 'fd00:10:244::/56', 'fd00:10:96::/112']),
  });
  const nodes = ['node-a', 'node-b', 'node-c'];
  nodes.forEach((name, i) =>
    model.upsertNode(
      node(name, `198.18.0.${i + 1}`, {
        internalIPs: [`198.18.0.${i + 1}`, `2001:db8:ff::${i + 1}`],
        labels: i === 0 ? {} : { 'egress.proxier.io/gateway': 'true' },
      }),
    ),
  );
  model.upsertNamespace(namespace('team'));
  const apps = ['a', 'b', 'c'];
  POD_IPS[4].forEach((ip4, i) => {
    const ip6 = POD_IPS[6][i];
    const podIPs = rng.chance(0.8) && ip6 !== undefined ? [ip4, ip6] : [ip4];
    model.upsertPod(
      pod('team', `pod-${i}`, { nodeName: rng.pick(nodes), podIPs, labels: { app: rng.pick(apps) } }),
    );
  });
  for (let i = 0, n = 1 + rng.int(5); i < n; i++) {
    const families: IPFamily[] = rng.pick([[4, 6], [4, 6], [4], [6]] as const).slice();
    const egressIPs = [
      ...(families.includes(4) ? rng.some(['192.0.2.100', '192.0.2.101', '192.0.2.102'], 1) : []),
      ...(families.includes(6) ? rng.some(['2001:db8:e::1', '2001:db8:e::2'], 1) : []),
    ];
    const spec: Record<string, unknown> = {
      podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: rng.some(apps, 1) }] },
      egressIPs,
      priority: rng.pick([0, 0, 1, 5]),
      failurePolicy: rng.pick(['FailClosed', 'FailOpen']),
    };
    const destinations = rng.chance(0.3)
      ? []
      : uniqueSorted(Array.from({ length: 1 + rng.int(3) }, () => randomCidr(rng, rng.pick(families))));
    if (destinations.length > 0) spec.destinationCIDRs = destinations;
    const around =
      destinations.length > 0 ? destinations : families.map((f) => (f === 4 ? '0.0.0.0/0' : '::/0'));
    const excluded = Array.from({ length: rng.pick([0, 0, 1, 2]) }, () => {
      const inside = rng.pick(around);
      return randomCidr(rng, rangeOf(inside).family, rng.chance(0.7) ? inside : undefined);
    });
    if (excluded.length > 0) spec.excludedCIDRs = uniqueSorted(excluded);
    if (rng.chance(0.2)) spec.gatewayNodeSelector = { matchLabels: { none: 'x' } };
    model.upsertEgress(
      egress(`policy-${i}`, spec, {
        creationTimestamp: rng.pick(['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z']),
      }),
    );
  }
  return nodes.map((name) => buildNodeEgressTable(model, name));
}

/** Every prefix a table mentions: rule destinations, exclusions and cluster CIDRs. */
export function prefixesOf(table: NodeEgressTable): string[] {
  return uniqueSorted([
    ...table.clusterCIDRs,
    ...table.rules.flatMap((rule) => [rule.destination, ...rule.excludedCIDRs]),
  ]);
}

/** The first and last address of a prefix and the addresses just outside it. */
export function boundaryAddresses(cidr: string): string[] {
  const { family, network, length } = rangeOf(cidr);
  const last = network + (1n << BigInt(WIDTH[family] - length)) - 1n;
  const max = (1n << BigInt(WIDTH[family])) - 1n;
  return [network - 1n, network, last, last + 1n]
    .filter((v) => v >= 0n && v <= max)
    .map((v) => addressOf(v, family));
}

/**
 * Packets for one table: from every source (and one that no set holds), to the boundaries of every prefix
 * of its family, and to random addresses near the anchors and anywhere; a few of mixed families.
 */
export function randomPackets(rng: Prng, table: NodeEgressTable, count: number): [string, string][] {
  const sources: Record<IPFamily, string[]> = { 4: [OUTSIDERS[4]], 6: [OUTSIDERS[6]] };
  for (const set of table.sourceSets) sources[set.family].push(...set.addresses);
  const boundaries: Record<IPFamily, string[]> = { 4: [], 6: [] };
  for (const cidr of prefixesOf(table)) boundaries[rangeOf(cidr).family].push(...boundaryAddresses(cidr));
  const packets: [string, string][] = [];
  for (const family of [4, 6] as const) {
    for (const dst of boundaries[family]) packets.push([rng.pick(sources[family]), dst]);
  }
  while (packets.length < count) {
    const family = rng.pick([4, 6] as const);
    const src = rng.pick(sources[family]);
    const draw = rng.next();
    const dstFamily = draw < 0.02 ? ((6 - family + 4) as IPFamily) : family;
    const dst =
      draw < 0.6 && boundaries[dstFamily].length > 0
        ? rng.pick(boundaries[dstFamily])
        : draw < 0.85
          ? addressOf(rangeOf(randomCidr(rng, dstFamily)).network | randomBits(rng, 9), dstFamily)
          : addressOf(randomBits(rng, WIDTH[dstFamily]), dstFamily);
    packets.push([src, dst]);
  }
  return packets;
}
