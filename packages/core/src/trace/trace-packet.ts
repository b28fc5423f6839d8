// `egress-proxier trace` as a pure function: a filled EgressModel and one packet in, the verdict and its
// explanation out. The verdict is what the agent would program: the pod's node table from
// `buildNodeEgressTable`, compiled to longest-prefix form and looked up, exactly as a datapath consumes it.
import type { SlimPod } from '../cluster/slim-objects.js';
import type { EgressModel } from '../model/egress-model.js';
import { cidrContainsIP, ipFamily, parseCidr, type IPFamily } from '../net/ip.js';
import { buildNodeEgressTable } from '../table/build-node-table.js';
import { assignedGatewayView, type GatewayView } from '../table/gateway-view.js';
import { compileLongestPrefixTable } from '../table/longest-prefix/compile-longest-prefix-table.js';
import type { LongestPrefixVerdict } from '../table/longest-prefix/longest-prefix-table.js';
import { lookupLongestPrefix } from '../table/longest-prefix/lookup-longest-prefix.js';
import type { NodeEgressTable } from '../table/node-egress-table.js';
import { explainCandidates } from './explain-candidates.js';
import { TraceError, type TraceRequest } from './trace-request.js';
import {
  TRACE_RESULT_VERSION,
  type HeldEgressIP,
  type LeavesAs,
  type TraceCandidate,
  type TraceDecision,
  type TraceResult,
} from './trace-result.js';

/**
 * `gateways` is the pod's node's view of who acts as gateway (default: the model's assignment, as `render`
 * uses); throws TraceError when the pod cannot be traced.
 */
export function tracePacket(model: EgressModel, request: TraceRequest, gateways?: GatewayView): TraceResult {
  const pod = traceablePod(model, request);
  const family = ipFamily(request.destination);
  const nodeName = pod.nodeName;
  const source = sourceAddress(model, pod, request.destination, family);
  const table = buildNodeEgressTable(model, nodeName, gateways ?? assignedGatewayView(model, nodeName));
  const clusterCidr = clusterDestinationOf(table, request.destination);

  const verdict: LongestPrefixVerdict = pod.hostNetwork
    ? { kind: 'noRule' }
    : lookupLongestPrefix(compileLongestPrefixTable(table), source, request.destination);
  const candidates = pod.hostNetwork
    ? []
    : explainCandidates({
        model,
        table,
        podKey: `${pod.namespace}/${pod.name}`,
        source,
        destination: request.destination,
        clusterCidr,
        decidingPolicy: verdict.kind === 'rule' ? verdict.policy : null,
      });
  const decision = decide(model, verdict, family, pod, clusterCidr, candidates);

  return {
    version: TRACE_RESULT_VERSION,
    pod: {
      namespace: pod.namespace,
      name: pod.name,
      node: nodeName,
      ip: source,
      hostNetwork: pod.hostNetwork,
    },
    destination: { ip: request.destination, port: request.port, family },
    node: { name: nodeName, hostedEgressIPs: table.hostedEgressIPs.map((hosted) => hosted.ip) },
    decision,
    leavesAs: leavesAs(model, decision, nodeName, source, family),
    candidates,
    refused: model.policyNames().flatMap((policy) => {
      const rejection = model.rejectionOf(policy);
      return rejection ? [{ policy, ...rejection }] : [];
    }),
  };
}

function traceablePod(model: EgressModel, request: TraceRequest): SlimPod {
  const { namespace, name } = request.pod;
  const pod = model.tracker.pod(`${namespace}/${name}`);
  const what = `pod ${namespace}/${name}`;
  if (pod === undefined) throw new TraceError('untraceablePod', `${what} not found`);
  if (pod.nodeName === '')
    throw new TraceError('untraceablePod', `${what} is not scheduled to a node yet: it sends nothing`);
  if (pod.phase === 'Succeeded' || pod.phase === 'Failed')
    throw new TraceError('untraceablePod', `${what} has finished (phase ${pod.phase}): it sends nothing`);
  if (pod.podIPs.length === 0 && !pod.hostNetwork)
    throw new TraceError('untraceablePod', `${what} has no IP address yet (status.podIPs is empty)`);
  return pod;
}

/** The pod's address of the destination's family; a hostNetwork pod sends from its node's address. */
function sourceAddress(model: EgressModel, pod: SlimPod, destination: string, family: IPFamily): string {
  const own = pod.podIPs.find((ip) => ipFamily(ip) === family);
  if (own !== undefined) return own;
  const nodeIP = pod.hostNetwork ? nodeAddress(model, pod.nodeName, family) : null;
  if (nodeIP !== null) return nodeIP;
  const has = pod.podIPs.length > 0 ? pod.podIPs.join(', ') : 'none';
  throw new TraceError(
    'untraceablePod',
    `pod ${pod.namespace}/${pod.name} has no IPv${family} address (its addresses: ${has}), ` +
      `so it cannot send to ${destination}`,
  );
}

/** The most specific cluster destination holding the address, or null. */
function clusterDestinationOf(table: NodeEgressTable, destination: string): string | null {
  let best: { text: string; length: number } | null = null;
  for (const text of table.clusterCIDRs) {
    const parsed = parseCidr(text);
    if ('error' in parsed || !cidrContainsIP(parsed.cidr, destination)) continue;
    if (best === null || parsed.cidr.prefixLength > best.length)
      best = { text: parsed.cidr.text, length: parsed.cidr.prefixLength };
  }
  return best?.text ?? null;
}

function decide(
  model: EgressModel,
  verdict: LongestPrefixVerdict,
  family: IPFamily,
  pod: SlimPod,
  clusterCidr: string | null,
  candidates: readonly TraceCandidate[],
): TraceDecision {
  if (verdict.kind === 'rule') {
    const { policy, action } = verdict;
    switch (action.kind) {
      case 'snat':
        return { action: 'snat', policy, egressIP: action.egressIP };
      case 'steer':
        return { action: 'steer', policy, egressIP: action.egressIP, gateway: action.gateway };
      case 'drop':
      case 'bypass':
        return { action: action.kind, policy, egressIPs: heldEgressIPs(model, policy, family) };
    }
  }
  if (pod.hostNetwork) return { action: 'none', reason: { kind: 'hostNetwork' } };
  if (clusterCidr !== null)
    return { action: 'none', reason: { kind: 'clusterDestination', cidr: clusterCidr } };
  if (candidates.length === 0) return { action: 'none', reason: { kind: 'notSelected' } };
  const excluded = candidates.flatMap((c) =>
    c.outcome.kind === 'excluded' ? [{ policy: c.policy, cidr: c.outcome.cidr }] : [],
  );
  return {
    action: 'none',
    reason: excluded.length > 0 ? { kind: 'excluded', by: excluded } : { kind: 'notCovered' },
  };
}

function heldEgressIPs(model: EgressModel, policyName: string, family: IPFamily): HeldEgressIP[] {
  const policy = model.acceptedPolicy(policyName);
  return (policy?.egressIPs ?? [])
    .filter((ip) => ipFamily(ip) === family)
    .map((ip) => ({ ip, gateway: model.gatewayOf(ip) }));
}

function leavesAs(
  model: EgressModel,
  decision: TraceDecision,
  node: string,
  source: string,
  family: IPFamily,
): LeavesAs {
  switch (decision.action) {
    case 'snat':
      return { kind: 'egressIP', address: decision.egressIP, gatewayNode: node };
    case 'steer':
      return { kind: 'egressIP', address: decision.egressIP, gatewayNode: decision.gateway.node };
    case 'drop':
      return { kind: 'dropped' };
    case 'bypass':
      return { kind: 'nodeAddress', address: nodeAddress(model, node, family), node };
    case 'none':
      return decision.reason.kind === 'clusterDestination'
        ? { kind: 'podAddress', address: source }
        : { kind: 'nodeAddress', address: nodeAddress(model, node, family), node };
  }
}

function nodeAddress(model: EgressModel, node: string, family: IPFamily): string | null {
  return model.node(node)?.internalIPs.find((ip) => ipFamily(ip) === family) ?? null;
}
