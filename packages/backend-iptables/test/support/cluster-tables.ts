// Hand-built NodeEgressTables for a three-node cluster, following the table's documented semantics: rules
// ordered by longer destination first; a source set holds every pod using the egress IP on its gateway and
// local pods elsewhere; rules for an IP hosted here snat, others steer to the gateway.
import type { EgressRule, NodeEgressTable, SourceSet } from '@egress-proxier/core';

export const NODES = {
  'node-a': '192.0.2.11',
  'node-b': '192.0.2.12',
  'node-c': '192.0.2.13',
} as const;
export type NodeName = keyof typeof NODES;

export const CLUSTER_CIDRS = [
  '10.244.0.0/16',
  '10.96.0.0/12',
  '192.0.2.11/32',
  '192.0.2.12/32',
  '192.0.2.13/32',
];

export function sourceSet(id: string, addresses: string[]): SourceSet {
  const family = addresses.some((a) => a.includes(':')) || id.endsWith('/v6') || id.includes(':') ? 6 : 4;
  return { id, policy: id.split('/')[0] ?? id, family, addresses: [...addresses].sort() };
}

export function snat(
  policy: string,
  egressIP: string,
  destination = '0.0.0.0/0',
  excludedCIDRs: string[] = [],
): EgressRule {
  return rule(policy, `${policy}/${egressIP}`, destination, excludedCIDRs, { kind: 'snat', egressIP });
}

export function steer(
  policy: string,
  egressIP: string,
  gateway: NodeName,
  destination = '0.0.0.0/0',
  excludedCIDRs: string[] = [],
): EgressRule {
  return rule(policy, `${policy}/${egressIP}`, destination, excludedCIDRs, {
    kind: 'steer',
    egressIP,
    gateway: { node: gateway, nodeIP: NODES[gateway] },
  });
}

export function drop(policy: string, destination = '0.0.0.0/0', excludedCIDRs: string[] = []): EgressRule {
  return {
    ...rule(policy, `${policy}/unassigned/v4`, destination, excludedCIDRs, { kind: 'drop' }),
    failurePolicy: 'FailClosed',
  };
}

export function bypass(policy: string, destination = '0.0.0.0/0', excludedCIDRs: string[] = []): EgressRule {
  return rule(policy, `${policy}/unassigned/v4`, destination, excludedCIDRs, { kind: 'bypass' });
}

function rule(
  policy: string,
  sourceSetId: string,
  destination: string,
  excludedCIDRs: string[],
  action: EgressRule['action'],
): EgressRule {
  return {
    policy,
    family: destination.includes(':') ? 6 : 4,
    sourceSet: sourceSetId,
    destination,
    excludedCIDRs: [...excludedCIDRs].sort(),
    failurePolicy: action.kind === 'drop' ? 'FailClosed' : 'FailOpen',
    action,
  };
}

export function table(
  node: string,
  parts: { hosted?: string[]; sets: SourceSet[]; rules: EgressRule[]; clusterCIDRs?: string[] },
): NodeEgressTable {
  return {
    node,
    clusterCIDRs: parts.clusterCIDRs ?? CLUSTER_CIDRS,
    hostedEgressIPs: (parts.hosted ?? []).map((ip) => ({
      ip,
      family: ip.includes(':') ? 6 : 4,
      policies: [],
    })),
    sourceSets: [...parts.sets].sort((a, b) => a.id.localeCompare(b.id)),
    rules: parts.rules,
  };
}

/**
 * Policies: `db` (pods 10.244.1.2, 10.244.3.2) leaves as 192.0.2.100 (gateway node-b) toward 203.0.113.0/24
 * except 203.0.113.128/25; `web` (10.244.1.3, 10.244.2.3) leaves as 192.0.2.101 (gateway node-c) toward
 * everything; `locked` (10.244.1.4, FailClosed, no gateway) is dropped toward 198.51.100.0/24.
 */
export const CLUSTER: Record<NodeName, NodeEgressTable> = {
  'node-a': table('node-a', {
    sets: [
      sourceSet('db/192.0.2.100', ['10.244.1.2']),
      sourceSet('web/192.0.2.101', ['10.244.1.3']),
      sourceSet('locked/unassigned/v4', ['10.244.1.4']),
    ],
    rules: [
      steer('db', '192.0.2.100', 'node-b', '203.0.113.0/24', ['203.0.113.128/25']),
      drop('locked', '198.51.100.0/24'),
      steer('web', '192.0.2.101', 'node-c'),
    ],
  }),
  'node-b': table('node-b', {
    hosted: ['192.0.2.100'],
    sets: [
      sourceSet('db/192.0.2.100', ['10.244.1.2', '10.244.3.2']),
      sourceSet('web/192.0.2.101', ['10.244.2.3']),
    ],
    rules: [
      snat('db', '192.0.2.100', '203.0.113.0/24', ['203.0.113.128/25']),
      steer('web', '192.0.2.101', 'node-c'),
    ],
  }),
  'node-c': table('node-c', {
    hosted: ['192.0.2.101'],
    sets: [
      sourceSet('db/192.0.2.100', ['10.244.3.2']),
      sourceSet('web/192.0.2.101', ['10.244.1.3', '10.244.2.3']),
    ],
    rules: [
      steer('db', '192.0.2.100', 'node-b', '203.0.113.0/24', ['203.0.113.128/25']),
      snat('web', '192.0.2.101'),
    ],
  }),
};

/**
 * Cross-action ordering on gateway node-b: `narrow` (FailClosed, no gateway) drops 10.244.2.5 toward
 * 203.0.113.0/24 except 203.0.113.0/28; `open` (FailOpen, no gateway) leaves 10.244.2.6 alone toward
 * 198.51.100.0/24; `wide` snats both to 192.0.2.100 toward everything else.
 */
export const ORDERING = table('node-b', {
  hosted: ['192.0.2.100'],
  sets: [
    sourceSet('narrow/unassigned/v4', ['10.244.2.5']),
    sourceSet('open/unassigned/v4', ['10.244.2.6']),
    sourceSet('wide/192.0.2.100', ['10.244.2.5', '10.244.2.6']),
  ],
  rules: [
    drop('narrow', '203.0.113.0/24', ['203.0.113.0/28']),
    bypass('open', '198.51.100.0/24'),
    snat('wide', '192.0.2.100'),
  ],
});

/** A dual-stack gateway: IPv4 and IPv6 pods of `dual` leave as 192.0.2.100 and 2001:db8:e::100. */
export const DUAL_STACK = table('node-b', {
  hosted: ['192.0.2.100', '2001:db8:e::100'],
  clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56'],
  sets: [
    sourceSet('dual/192.0.2.100', ['10.244.2.2']),
    sourceSet('dual/2001:db8:e::100', ['fd00:10:244:2::2']),
  ],
  rules: [
    snat('dual', '192.0.2.100'),
    { ...snat('dual', '2001:db8:e::100', '::/0', ['2001:db8:ffff::/48']), family: 6 },
  ],
});

/** A cluster-wide policy for `tablesFor`: which pods, and their egress IPs' gateways or the action without one. */
export interface ClusterPolicy {
  name: string;
  pods: string[];
  egress: { ip: string; gateway: NodeName }[] | 'drop' | 'bypass';
  destination?: string;
  excluded?: string[];
}

/** The node a pod of these tables runs on: 10.244.<n>.x lives on the n-th node. */
export function homeOf(pod: string): NodeName {
  const names = Object.keys(NODES) as NodeName[];
  const node = names[Number(pod.split('.')[2]) - 1];
  if (node === undefined) throw new Error(`no node for pod ${pod}`);
  return node;
}

/**
 * Every node's table for `policies`, following NodeEgressTable's documented semantics: rules by longer
 * destination first (then the order given); on a gateway a set holds every pod using its IP, elsewhere local pods;
 * pods spread over several IPs in order.
 */
export function tablesFor(policies: readonly ClusterPolicy[]): Record<NodeName, NodeEgressTable> {
  const ordered = [...policies].sort((a, b) => prefixOf(b.destination) - prefixOf(a.destination));
  const tables = {} as Record<NodeName, NodeEgressTable>;
  for (const node of Object.keys(NODES) as NodeName[]) {
    const sets: SourceSet[] = [];
    const rules: EgressRule[] = [];
    const hosted: string[] = [];
    for (const policy of ordered) {
      const destination = policy.destination ?? '0.0.0.0/0';
      const excluded = policy.excluded ?? [];
      if (policy.egress === 'drop' || policy.egress === 'bypass') {
        const local = policy.pods.filter((pod) => homeOf(pod) === node);
        if (local.length === 0) continue;
        sets.push(sourceSet(`${policy.name}/unassigned/v4`, local));
        rules.push((policy.egress === 'drop' ? drop : bypass)(policy.name, destination, excluded));
        continue;
      }
      const egress = policy.egress;
      egress.forEach(({ ip, gateway }, index) => {
        const users = policy.pods.filter((_, podIndex) => podIndex % egress.length === index);
        const members = gateway === node ? users : users.filter((pod) => homeOf(pod) === node);
        if (gateway === node) hosted.push(ip);
        if (members.length === 0) return;
        sets.push(sourceSet(`${policy.name}/${ip}`, members));
        rules.push(
          gateway === node
            ? snat(policy.name, ip, destination, excluded)
            : steer(policy.name, ip, gateway, destination, excluded),
        );
      });
    }
    tables[node] = table(node, { hosted: hosted.sort(), sets, rules });
  }
  return tables;
}

function prefixOf(cidr: string | undefined): number {
  return cidr === undefined ? 0 : Number(cidr.split('/')[1]);
}
