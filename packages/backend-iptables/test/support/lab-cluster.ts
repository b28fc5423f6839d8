// Runs iptables proxiers inside lab node namespaces and builds their tables from a short policy description,
// following NodeEgressTable's documented semantics (the core's table builder is tested on its own).
import { systemClock, type EgressRule, type NodeEgressTable, type SourceSet } from '@egress-proxier/core';
import { namespaceExec, type Lab, type LabNode, type LabPod } from '@egress-proxier/netlab';
import { pino } from 'pino';
import plugin from '../../src/index.js';
import type { IptablesProxier } from '../../src/proxier.js';

export { namespaceExec };

export const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

export async function proxierFor(lab: Lab, node: LabNode, options: Record<string, string | number> = {}) {
  return (await plugin.create({
    nodeName: node.name,
    exec: namespaceExec(lab, node.namespace),
    logger,
    clock: systemClock,
    options: { garpCount: 1, ...options },
  })) as IptablesProxier;
}

export interface LabPolicy {
  name: string;
  pods: LabPod[];
  /** Egress IPs and their gateways; pods spread over them in order. Or the action without a live gateway. */
  egress: { ip: string; gateway: LabNode }[] | 'drop' | 'bypass';
  destination?: string;
  excluded?: string[];
}

export function tableFor(lab: Lab, node: LabNode, policies: readonly LabPolicy[]): NodeEgressTable {
  const sets: SourceSet[] = [];
  const rules: EgressRule[] = [];
  const hosted = new Set<string>();
  const ordered = [...policies].sort((a, b) => prefixLength(b.destination) - prefixLength(a.destination));
  for (const policy of ordered) {
    const destination = policy.destination ?? '0.0.0.0/0';
    const excludedCIDRs = [...(policy.excluded ?? [])].sort();
    const base = { policy: policy.name, family: 4 as const, destination, excludedCIDRs };
    if (policy.egress === 'drop' || policy.egress === 'bypass') {
      const local = policy.pods.filter((pod) => pod.node === node).map((pod) => pod.ip);
      if (local.length === 0) continue;
      const id = `${policy.name}/unassigned/v4`;
      sets.push({ id, policy: policy.name, family: 4, addresses: local.sort() });
      const failurePolicy = policy.egress === 'drop' ? 'FailClosed' : 'FailOpen';
      rules.push({ ...base, sourceSet: id, failurePolicy, action: { kind: policy.egress } });
      continue;
    }
    const egress = policy.egress;
    egress.forEach(({ ip, gateway }, index) => {
      const users = policy.pods.filter((_, podIndex) => podIndex % egress.length === index);
      const members = gateway === node ? users : users.filter((pod) => pod.node === node);
      if (gateway === node) hosted.add(ip);
      if (members.length === 0) return;
      const id = `${policy.name}/${ip}`;
      sets.push({ id, policy: policy.name, family: 4, addresses: members.map((pod) => pod.ip).sort() });
      const action: EgressRule['action'] =
        gateway === node
          ? { kind: 'snat', egressIP: ip }
          : { kind: 'steer', egressIP: ip, gateway: { node: gateway.name, nodeIP: gateway.ip } };
      rules.push({ ...base, sourceSet: id, failurePolicy: 'FailOpen', action });
    });
  }
  return {
    node: node.name,
    clusterCIDRs: ['10.244.0.0/16', ...lab.nodes.map((n) => `${n.ip}/32`)].sort(),
    hostedEgressIPs: [...hosted].sort().map((ip) => ({ ip, family: 4, policies: [] })),
    sourceSets: sets.sort((a, b) => a.id.localeCompare(b.id)),
    rules,
  };
}

function prefixLength(cidr: string | undefined): number {
  return cidr === undefined ? 0 : Number(cidr.split('/')[1]);
}

/** Syncs every node's proxier to the tables of `policies`. */
export async function syncAll(
  lab: Lab,
  proxiers: Map<LabNode, IptablesProxier>,
  policies: readonly LabPolicy[],
): Promise<void> {
  const signal = new AbortController().signal;
  for (const [node, proxier] of proxiers) await proxier.sync(tableFor(lab, node, policies), signal);
}

/** Everything of a node's kernel state that cleanup must restore, as comparable text. */
export async function kernelSnapshot(lab: Lab, node: LabNode, flavour: 'nft' | 'legacy'): Promise<string> {
  const parts: string[] = [];
  const save = await lab.exec(node.namespace, `iptables-${flavour}-save`, []);
  // Rules and user chains only: an emptied built-in table may stay registered, which is not state of ours.
  parts.push(
    save.stdout
      .split('\n')
      .filter((line) => line.startsWith('*') || line.startsWith('-A ') || / - \[\d+:\d+\]$/.test(line))
      .filter((line, index, lines) => !line.startsWith('*') || !(lines[index + 1] ?? '*').startsWith('*'))
      .join('\n'),
  );
  for (const args of [
    ['ipset', 'list', '-n'],
    ['ip', '-4', 'rule'],
    ['ip', '-4', 'route', 'show', 'table', 'all'],
    ['ip', '-o', 'addr'],
    ['ip', '-o', 'link'],
  ]) {
    const [command = '', ...rest] = args;
    const result = await lab.exec(node.namespace, command, rest);
    parts.push(
      `$ ${args.join(' ')}\n${result.stdout.replace(/valid_lft \S+ preferred_lft \S+| tentative/g, '')}`,
    );
  }
  return parts.join('\n');
}
