// Human-readable output of `egress-proxier trace`, laid out like `kubectl describe`: the answer first (what
// the node does, what the outside sees), then the policies that were considered and why each lost.
import type {
  CandidateOutcome,
  NoPolicyReason,
  PrecedenceKey,
  TraceDecision,
  TraceResult,
} from '../trace/trace-result.js';
import { columns } from './text-columns.js';

export function formatTraceResult(result: TraceResult): string {
  const { pod, destination, node } = result;
  const port = destination.port === null ? '' : ` port ${destination.port}`;
  const out = [
    `Pod:           ${pod.namespace}/${pod.name} (${pod.ip})${pod.hostNetwork ? ', hostNetwork' : ''}`,
    `Node:          ${node.name}${node.hostedEgressIPs.length > 0 ? ` (gateway of ${node.hostedEgressIPs.join(', ')})` : ''}`,
    `Destination:   ${destination.ip}${port} (IPv${destination.family})`,
    `Decided by:    ${decidedBy(result)}`,
    `Action:        ${action(result.decision, node.name)}`,
    `Leaves as:     ${leavesAs(result)}`,
  ];
  if (destination.port !== null)
    out.push('               (ports do not take part: Egress policies choose by address)');
  out.push('', 'Policies selecting the pod:');
  if (result.candidates.length === 0) out.push('  none');
  else
    out.push(
      ...columns(
        ['POLICY', 'PRIORITY', 'CREATED', 'MATCHED', 'RESULT'],
        result.candidates.map((c) => [
          c.policy,
          String(c.priority),
          c.creationTimestamp || '-',
          c.matchedDestination ?? '-',
          outcome(c.outcome, destination.family),
        ]),
      ).map((line) => `  ${line}`),
    );
  if (result.refused.length > 0) {
    out.push('', 'Refused policies (not programmed, select nothing):');
    for (const refused of result.refused)
      out.push(`  ${refused.policy}: ${refused.reason}: ${refused.message}`);
  }
  return out.join('\n') + '\n';
}

function decidedBy({ decision, candidates }: TraceResult): string {
  if (decision.action !== 'none') {
    const winner = candidates.find((c) => c.outcome.kind === 'decides');
    const why = winner
      ? ` (destination ${winner.matchedDestination ?? '?'}, priority ${winner.priority})`
      : '';
    return `Egress ${decision.policy}${why}`;
  }
  return `no policy: ${noPolicy(decision.reason)}`;
}

function noPolicy(reason: NoPolicyReason): string {
  switch (reason.kind) {
    case 'clusterDestination':
      return `${reason.cidr} is a cluster destination (pod, service or node address), never SNATed`;
    case 'hostNetwork':
      return 'a hostNetwork pod sends from the node itself, which egress-proxier never touches';
    case 'notSelected':
      return 'no accepted Egress selects this pod';
    case 'notCovered':
      return 'no destinationCIDRs of the policies selecting this pod contain the destination';
    case 'excluded':
      return `excluded by ${reason.by.map((e) => `${e.policy} (${e.cidr})`).join(', ')}`;
  }
}

function action(decision: TraceDecision, node: string): string {
  switch (decision.action) {
    case 'snat':
      return `SNAT to ${decision.egressIP} on ${node} (this node is its gateway)`;
    case 'steer':
      return `steer to gateway ${decision.gateway.node} (${decision.gateway.nodeIP}), unmasqueraded; the gateway SNATs to ${decision.egressIP}`;
    case 'drop':
      return `DROP on ${node}: FailClosed and no live gateway (${held(decision.egressIPs)})`;
    case 'bypass':
      return `leave alone: FailOpen and no live gateway (${held(decision.egressIPs)})`;
    case 'none':
      return 'leave alone (the CNI decides)';
  }
}

function held(ips: readonly { ip: string; gateway: string | null }[]): string {
  return (
    ips
      .map((h) => `${h.ip}: ${h.gateway === null ? 'no eligible node' : `${h.gateway} not confirmed`}`)
      .join(', ') || 'no egress IP'
  );
}

function leavesAs({ leavesAs: leaves }: TraceResult): string {
  switch (leaves.kind) {
    case 'egressIP':
      return `${leaves.address} (egress IP, from gateway ${leaves.gatewayNode})`;
    case 'nodeAddress':
      return leaves.address === null
        ? `the address of node ${leaves.node} (it has no InternalIP of this family)`
        : `${leaves.address} (the address of node ${leaves.node}, masqueraded by the CNI)`;
    case 'podAddress':
      return `${leaves.address} (the pod's own address: cluster traffic is not SNATed)`;
    case 'dropped':
      return 'nothing: the packet is dropped';
  }
}

const KEY_TEXT: Record<PrecedenceKey, string> = {
  prefixLength: 'longer destination prefix',
  priority: 'higher priority',
  creationTimestamp: 'older',
  name: 'name sorts first',
};

function outcome(o: CandidateOutcome, family: number): string {
  switch (o.kind) {
    case 'decides':
      return 'decides';
    case 'outranked':
      return `loses to ${o.by} (${KEY_TEXT[o.on]})${o.conflicted ? '; Conflicted: same prefix' : ''}`;
    case 'excluded':
      return `excluded by excludedCIDRs ${o.cidr}`;
    case 'destinationNotCovered':
      return 'destination not in its destinationCIDRs';
    case 'noEgressIPOfFamily':
      return `no IPv${family} egress IP`;
    case 'clusterDestination':
      return 'not applied: cluster destination';
  }
}
