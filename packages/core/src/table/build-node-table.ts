// The pure function at the heart of the core: cluster state + node name (+ who acts as gateway of each
// egress IP, from the hand-over protocol) → NodeEgressTable.
import type { EgressPolicy } from '../api/egress-policy.js';
import type { SlimPod } from '../cluster/slim-objects.js';
import { ipFamily, type IPFamily } from '../net/ip.js';
import { compareStrings } from '../selectors/label-selector.js';
import { pickEgressIP, type EgressModel } from '../model/egress-model.js';
import type {
  EgressAction,
  EgressRule,
  HostedEgressIP,
  NodeEgressTable,
  SourceSet,
} from './node-egress-table.js';
import { compareRulePrecedence, type RankedRule } from './rule-precedence.js';
import { assignedGatewayView, type GatewayView } from './gateway-view.js';

const UNASSIGNED = 'unassigned';

export function sourceSetId(policy: string, egressIP: string | null, family: IPFamily): string {
  return egressIP === null ? `${policy}/${UNASSIGNED}/v${family}` : `${policy}/${egressIP}`;
}

/**
 * `gateways` says which egress IPs this node hosts and where the others' traffic goes; by default, the
 * model's assignment as it stands (offline rendering). An IP whose gateway is not confirmed (`steerTarget`
 * null) is held: its rules drop (FailClosed) or bypass (FailOpen).
 */
export function buildNodeEgressTable(
  model: EgressModel,
  node: string,
  gateways: GatewayView = assignedGatewayView(model, node),
): NodeEgressTable {
  const hostedIPs = gateways.hostedHere();
  const { relevant, localPods } = relevantPolicies(model, node, hostedIPs);

  const sets = new Map<
    string,
    { policy: EgressPolicy; family: IPFamily; egressIP: string | null; addresses: Set<string> }
  >();
  const addSource = (policy: EgressPolicy, egressIP: string | null, podIP: string): void => {
    const family = ipFamily(podIP);
    const id = sourceSetId(policy.name, egressIP, family);
    let set = sets.get(id);
    if (!set) sets.set(id, (set = { policy, family, egressIP, addresses: new Set() }));
    set.addresses.add(podIP);
  };

  const hosted = new Set(hostedIPs);
  for (const policy of relevant) {
    const hostsAny = policy.egressIPs.some((ip) => hosted.has(ip));
    // On a gateway: every selected pod whose IP is hosted here. Elsewhere: local pods only.
    const pods = hostsAny ? model.tracker.podsSelectedBy(policy.name) : (localPods.get(policy.name) ?? []);
    const live = { 4: model.liveEgressIPs(policy, 4), 6: model.liveEgressIPs(policy, 6) };
    for (const key of pods) {
      const pod = model.tracker.pod(key) as SlimPod;
      const local = pod.nodeName === node;
      for (const podIP of pod.podIPs) {
        const egressIP = pickEgressIP(live[ipFamily(podIP)], podIP);
        if (egressIP === undefined) continue;
        if (local || (egressIP !== null && hosted.has(egressIP))) addSource(policy, egressIP, podIP);
      }
    }
  }

  const ranked: (RankedRule & { rule: EgressRule })[] = [];
  for (const [id, set] of sets) {
    const action = actionFor(model, gateways, hosted, set.policy, set.egressIP, set.family);
    const excludedCIDRs = set.policy.excludedCIDRs
      .filter((c) => c.family === set.family)
      .map((c) => c.text)
      .sort(compareStrings);
    for (const destination of set.policy.destinationCIDRs) {
      if (destination.family !== set.family) continue;
      const rule: EgressRule = {
        policy: set.policy.name,
        family: set.family,
        sourceSet: id,
        destination: destination.text,
        excludedCIDRs,
        failurePolicy: set.policy.failurePolicy,
        action,
      };
      ranked.push({ policy: set.policy, destination, sourceSet: id, rule });
    }
  }
  ranked.sort(compareRulePrecedence);

  const sourceSets: SourceSet[] = [...sets.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([id, set]) => ({
      id,
      policy: set.policy.name,
      family: set.family,
      addresses: [...set.addresses].sort(compareStrings),
    }));

  const hostedEgressIPs: HostedEgressIP[] = hostedIPs.map((ip) => ({
    ip,
    family: ipFamily(ip),
    policies: [...model.policiesUsing(ip)],
  }));

  return {
    node,
    clusterCIDRs: [...model.clusterDestinations()],
    hostedEgressIPs,
    sourceSets,
    rules: ranked.map((r) => r.rule),
  };
}

function actionFor(
  model: EgressModel,
  gateways: GatewayView,
  hosted: ReadonlySet<string>,
  policy: EgressPolicy,
  egressIP: string | null,
  family: IPFamily,
): EgressAction {
  const held: EgressAction = policy.failurePolicy === 'FailClosed' ? { kind: 'drop' } : { kind: 'bypass' };
  if (egressIP === null) return held;
  if (hosted.has(egressIP)) return { kind: 'snat', egressIP };
  const gateway = gateways.steerTarget(egressIP);
  const nodeIP =
    gateway === null ? undefined : model.node(gateway)?.internalIPs.find((ip) => ipFamily(ip) === family);
  if (gateway === null || nodeIP === undefined) return held;
  return { kind: 'steer', egressIP, gateway: { node: gateway, nodeIP } };
}

/**
 * Policies selecting a pod on this node or using an egress IP hosted here (sorted by name), and this node's
 * pods per policy, gathered in one pass over the node's pods.
 */
function relevantPolicies(
  model: EgressModel,
  node: string,
  hostedIPs: readonly string[],
): { relevant: EgressPolicy[]; localPods: Map<string, string[]> } {
  const localPods = new Map<string, string[]>();
  for (const key of model.tracker.podsOnNode(node)) {
    for (const name of model.tracker.policiesSelecting(key)) {
      const pods = localPods.get(name);
      if (pods) pods.push(key);
      else localPods.set(name, [key]);
    }
  }
  const names = new Set(localPods.keys());
  for (const ip of hostedIPs) for (const name of model.policiesUsing(ip)) names.add(name);
  const relevant = [...names]
    .sort(compareStrings)
    .map((name) => model.acceptedPolicy(name))
    .filter((p): p is EgressPolicy => p !== undefined);
  return { relevant, localPods };
}
