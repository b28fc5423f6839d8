// Human-readable output of `egress-proxier render -o table`.
import type { PolicyOutcome } from '../model/policy-outcome.js';
import type { RenderedDatapath } from '../plugin/proxier.js';
import type { EgressAction, NodeEgressTable } from '../table/node-egress-table.js';
import { columns } from './text-columns.js';

export interface RenderedNode {
  node: string;
  table: NodeEgressTable;
  datapath?: RenderedDatapath;
}

export interface RenderResult {
  backend?: string;
  nodes: RenderedNode[];
  outcomes: PolicyOutcome[];
  /** Cluster-scope backends render once for the whole cluster. */
  cluster?: { datapath: RenderedDatapath };
}

export function formatRenderResult(result: RenderResult): string {
  const out: string[] = [];
  out.push(
    'POLICIES',
    ...columns(['NAME', 'ACCEPTED', 'PODS', 'ASSIGNMENTS', 'NOTES'], result.outcomes.map(outcomeRow)),
    '',
  );
  for (const rendered of result.nodes) out.push(...formatNode(rendered), '');
  if (result.cluster) out.push(...formatDatapath(result.backend ?? 'backend', result.cluster.datapath), '');
  return out.join('\n').trimEnd() + '\n';
}

function outcomeRow(outcome: PolicyOutcome): string[] {
  const assignments = outcome.assignments.map((a) => `${a.egressIP}@${a.node ?? '<none>'}`).join(',') || '-';
  const notes = !outcome.accepted.status
    ? `${outcome.accepted.reason}: ${outcome.accepted.message}`
    : outcome.shadowedBy
        .map((s) => `${s.pods} pod(s) shadowed by ${s.policy} for ${s.destinations.join(',')}`)
        .join('; ');
  return [
    outcome.name,
    outcome.accepted.status ? 'True' : 'False',
    String(outcome.selectedPods),
    assignments,
    notes || '-',
  ];
}

function formatNode({ node, table, datapath }: RenderedNode): string[] {
  const out = [`NODE ${node}`];
  const hosted = table.hostedEgressIPs.map((h) => `${h.ip} (${h.policies.join(', ')})`).join(', ');
  out.push(`  hosts egress IPs: ${hosted || 'none'}`);
  out.push(`  never SNATed (cluster destinations): ${table.clusterCIDRs.join(', ') || 'none'}`);
  if (table.rules.length === 0) {
    out.push('  rules: none');
  } else {
    const sizes = new Map(table.sourceSets.map((s) => [s.id, s.addresses.length]));
    out.push('  rules (first match wins):');
    const rows = table.rules.map((rule, index) => [
      String(index + 1),
      rule.policy,
      `${rule.sourceSet} (${sizes.get(rule.sourceSet) ?? 0})`,
      rule.destination,
      rule.excludedCIDRs.join(',') || '-',
      actionText(rule.action),
    ]);
    out.push(
      ...columns(['#', 'POLICY', 'SOURCES', 'DESTINATION', 'EXCEPT', 'ACTION'], rows).map(
        (line) => `    ${line}`,
      ),
    );
    out.push('  source sets:');
    for (const set of table.sourceSets) out.push(`    ${set.id}: ${set.addresses.join(' ')}`);
  }
  if (datapath) out.push(...formatDatapath(`  datapath`, datapath));
  return out;
}

function formatDatapath(title: string, datapath: RenderedDatapath): string[] {
  const out: string[] = [];
  for (const section of datapath.sections) {
    out.push(`${title}: ${section.title}`);
    const lines = section.content.trim() === '' ? ['(nothing)'] : section.content.trimEnd().split('\n');
    out.push(...lines.map((line) => `    ${line}`));
  }
  return out;
}

function actionText(action: EgressAction): string {
  switch (action.kind) {
    case 'snat':
      return `SNAT to ${action.egressIP}`;
    case 'steer':
      return `steer to ${action.gateway.node} (${action.gateway.nodeIP}) for ${action.egressIP}`;
    case 'drop':
      return 'DROP (FailClosed, no live gateway)';
    case 'bypass':
      return 'leave unchanged (FailOpen, no live gateway)';
  }
}
