// The core's view of the cluster: Egress objects (validated, checked against the cluster and the
// backend), pods and namespaces (through the EgressTracker), nodes and gateway liveness. It answers the
// questions the table builders ask. Every mutation is incremental; derived data is recomputed lazily.
import type { EgressPolicy } from '../api/egress-policy.js';
import type { FieldProblem } from '../api/field-problem.js';
import { formatProblems } from '../api/field-problem.js';
import { validateEgress, type EgressValidation } from '../api/validate-egress.js';
import type { SlimNamespace, SlimNode, SlimPod } from '../cluster/slim-objects.js';
import { CidrSet } from '../net/cidr-set.js';
import { hostCidr, ipFamily, parseCidr, type Cidr, type IPFamily } from '../net/ip.js';
import type { ProxierCapability } from '../plugin/capabilities.js';
import { rendezvousPick } from '../hashing/rendezvous.js';
import { EgressTracker } from '../tracker/egress-tracker.js';
import {
  GatewayAssigner,
  allReadyNodesLive,
  noIncumbents,
  type GatewayIneligibility,
  type Incumbency,
  type Liveness,
} from '../gateway/gateway-assigner.js';
import { compareStrings } from '../selectors/label-selector.js';
import { contextRejection, egressIPConflicts, type Rejection } from './policy-acceptance.js';

export interface EgressModelConfig {
  /** Pod and service CIDRs of the cluster: never SNAT destinations, never valid egress IPs. */
  clusterCIDRs: readonly string[];
  /** The active backend's capabilities; undefined when rendering without a backend. */
  capabilities?: readonly ProxierCapability[];
  liveness?: Liveness;
  /** Who hosts each egress IP now (an eligible holder keeps its IP); none when rendering offline. */
  incumbency?: Incumbency;
}

interface PolicyRecord {
  generation: number;
  validation: { ok: true; policy: EgressPolicy } | { ok: false; problems: FieldProblem[] };
}

export class EgressModel {
  readonly tracker = new EgressTracker();
  private readonly records = new Map<string, PolicyRecord>();
  private readonly nodes = new Map<string, SlimNode>();
  private readonly configuredRanges: Cidr[];
  private readonly capabilities: readonly ProxierCapability[] | undefined;
  private readonly gateways: GatewayAssigner;

  // Derived state, rebuilt lazily when marked stale.
  private acceptanceStale = true;
  private readonly accepted = new Map<string, EgressPolicy>();
  private readonly rejected = new Map<string, Rejection>();
  private gatewaysStale = true;
  private readonly gatewayByIP = new Map<string, string | null>();
  private readonly ipsByGateway = new Map<string, string[]>();
  private readonly policiesByIP = new Map<string, string[]>();
  private readonly liveIPs = new Map<string, string[]>();
  private clusterRangesCache: { set: CidrSet; list: string[] } | null = null;
  private version = 0;

  constructor(config: EgressModelConfig) {
    this.configuredRanges = config.clusterCIDRs.map((text) => {
      const parsed = parseCidr(text);
      if ('error' in parsed) throw new Error(`cluster CIDR ${text}: ${parsed.error}`);
      return parsed.cidr;
    });
    this.capabilities = config.capabilities;
    this.gateways = new GatewayAssigner(
      this.nodes,
      config.liveness ?? allReadyNodesLive,
      config.incumbency ?? noIncumbents,
    );
  }

  /** Increases on every change that can alter a table; equal versions mean equal tables. */
  get stateVersion(): number {
    return this.version;
  }

  // ---- events ----

  /** Validates and records an Egress (a nameless one is not recorded); returns the validation. */
  upsertEgress(object: unknown): EgressValidation {
    const validation = validateEgress(object);
    const name = validation.ok ? validation.policy.name : nameOf(object);
    if (name === null) return validation;
    const generation = validation.ok ? validation.policy.generation : generationOf(object);
    this.records.set(name, { generation, validation });
    this.acceptanceChanged();
    return validation;
  }

  deleteEgress(name: string): void {
    if (this.records.delete(name)) this.acceptanceChanged();
  }

  /** Each event returns false when it changed nothing a table depends on, so callers can skip a sync. */
  upsertPod(pod: SlimPod): boolean {
    return this.bumpIf(this.tracker.upsertPod(pod));
  }

  deletePod(namespace: string, name: string): boolean {
    return this.bumpIf(this.tracker.deletePod(namespace, name));
  }

  upsertNamespace(namespace: SlimNamespace): boolean {
    return this.bumpIf(this.tracker.upsertNamespace(namespace));
  }

  deleteNamespace(name: string): void {
    this.tracker.deleteNamespace(name);
    this.version++;
  }

  upsertNode(node: SlimNode): boolean {
    const previous = this.nodes.get(node.name);
    // Kubelets rewrite node status regularly; the few fields kept here rarely change.
    if (previous && JSON.stringify(previous) === JSON.stringify(node)) return false;
    this.nodes.set(node.name, node);
    this.nodesChanged();
    return true;
  }

  deleteNode(name: string): void {
    if (this.nodes.delete(name)) this.nodesChanged();
  }

  /** Heartbeat liveness changed (a lease expired or was renewed after expiring), or who hosts an IP. */
  gatewayInputsChanged(): void {
    this.gateways.invalidate();
    this.gatewaysStale = true;
    this.version++;
  }

  // ---- queries used by the table builders and status ----

  node(name: string): SlimNode | undefined {
    return this.nodes.get(name);
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()].sort(compareStrings);
  }

  policyNames(): string[] {
    return [...this.records.keys()].sort(compareStrings);
  }

  acceptedPolicy(name: string): EgressPolicy | undefined {
    this.refresh();
    return this.accepted.get(name);
  }

  acceptedPolicies(): EgressPolicy[] {
    this.refresh();
    return [...this.accepted.values()];
  }

  /** Why a policy is not programmed; null when it is accepted or unknown. */
  rejectionOf(name: string): Rejection | null {
    this.refresh();
    return this.rejected.get(name) ?? null;
  }

  generationOf(name: string): number | undefined {
    return this.records.get(name)?.generation;
  }

  gatewayOf(egressIP: string): string | null {
    this.refresh();
    return this.gatewayByIP.get(egressIP) ?? null;
  }

  /**
   * Why `node` cannot be the gateway of `egressIP` now (null: it is eligible), judged with the selector of
   * the IP's first accepted user, as the assignment is; undefined when no accepted policy uses the IP.
   */
  gatewayIneligibility(egressIP: string, node: string): GatewayIneligibility | null | undefined {
    const owner = this.policiesUsing(egressIP)[0];
    const policy = owner === undefined ? undefined : this.accepted.get(owner);
    if (!policy) return undefined;
    return this.gateways.ineligibility({ egressIP, gatewayNodeSelector: policy.gatewayNodeSelector }, node);
  }

  /** Egress IPs a node must host, sorted. */
  egressIPsHostedBy(node: string): readonly string[] {
    this.refresh();
    return this.ipsByGateway.get(node) ?? [];
  }

  /** Accepted policies using an egress IP, sorted. */
  policiesUsing(egressIP: string): readonly string[] {
    this.refresh();
    return this.policiesByIP.get(egressIP) ?? [];
  }

  /**
   * The egress IP a pod address leaves with under a policy: rendezvous over the policy's IPs of the same
   * family that have a live gateway (sticky per pod; an IP coming back takes back only its own pods).
   * Null when none has a gateway; undefined when the policy has no egress IP of that family.
   */
  egressIPFor(policy: EgressPolicy, podIP: string): string | null | undefined {
    return pickEgressIP(this.liveEgressIPs(policy, ipFamily(podIP)), podIP);
  }

  /** The policy's egress IPs of a family that have a live gateway; undefined if it has none of that family. */
  liveEgressIPs(policy: EgressPolicy, family: IPFamily): readonly string[] | undefined {
    this.refresh();
    if (!policy.egressIPs.some((ip) => ipFamily(ip) === family)) return undefined;
    return this.liveIPs.get(`${policy.name}/${family}`) ?? [];
  }

  /** Pod and service CIDRs, node pod CIDRs and node IPs: destinations that are never SNATed. Sorted. */
  clusterDestinations(): readonly string[] {
    return this.clusterRanges().list;
  }

  // ---- derived state ----

  private bumpIf(changed: boolean): boolean {
    if (changed) this.version++;
    return changed;
  }

  private acceptanceChanged(): void {
    this.acceptanceStale = true;
    this.gatewaysStale = true;
    this.version++;
  }

  private nodesChanged(): void {
    this.clusterRangesCache = null;
    this.gateways.invalidate();
    this.acceptanceChanged();
  }

  private refresh(): void {
    if (this.acceptanceStale) this.refreshAcceptance();
    if (this.gatewaysStale) this.refreshGateways();
  }

  private refreshAcceptance(): void {
    this.acceptanceStale = false;
    const nodeIPs = new Map<string, string>();
    for (const node of this.nodes.values()) for (const ip of node.internalIPs) nodeIPs.set(ip, node.name);
    const context = { clusterRanges: this.clusterRanges().ranges, nodeIPs, capabilities: this.capabilities };

    const candidates: EgressPolicy[] = [];
    const rejected = new Map<string, Rejection>();
    for (const [name, record] of this.records) {
      if (!record.validation.ok) {
        rejected.set(name, { reason: 'InvalidSpec', message: formatProblems(record.validation.problems) });
        continue;
      }
      const rejection = contextRejection(record.validation.policy, context);
      if (rejection) rejected.set(name, rejection);
      else candidates.push(record.validation.policy);
    }
    for (const [name, rejection] of egressIPConflicts(candidates)) rejected.set(name, rejection);

    const nowAccepted = new Map(candidates.filter((p) => !rejected.has(p.name)).map((p) => [p.name, p]));
    for (const name of this.accepted.keys()) if (!nowAccepted.has(name)) this.tracker.deletePolicy(name);
    for (const [name, policy] of nowAccepted) {
      if (this.accepted.get(name) !== policy) this.tracker.upsertPolicy(policy);
    }
    this.accepted.clear();
    for (const [name, policy] of nowAccepted) this.accepted.set(name, policy);
    this.rejected.clear();
    for (const [name, rejection] of rejected) this.rejected.set(name, rejection);
  }

  private refreshGateways(): void {
    this.gatewaysStale = false;
    this.gatewayByIP.clear();
    this.ipsByGateway.clear();
    this.policiesByIP.clear();
    this.liveIPs.clear();
    const ordered = [...this.accepted.values()].sort((a, b) => compareStrings(a.name, b.name));
    for (const policy of ordered) {
      for (const ip of policy.egressIPs) {
        const users = this.policiesByIP.get(ip);
        if (users) {
          users.push(policy.name);
          continue;
        }
        this.policiesByIP.set(ip, [policy.name]);
        // Conflicting selectors were rejected above, so the first user's selector speaks for the IP.
        const node = this.gateways.assign({ egressIP: ip, gatewayNodeSelector: policy.gatewayNodeSelector });
        this.gatewayByIP.set(ip, node);
        if (node !== null) {
          const hosted = this.ipsByGateway.get(node);
          if (hosted) hosted.push(ip);
          else this.ipsByGateway.set(node, [ip]);
        }
      }
    }
    for (const hosted of this.ipsByGateway.values()) hosted.sort(compareStrings);
    for (const policy of ordered) {
      for (const family of [4, 6] as IPFamily[]) {
        const live = policy.egressIPs.filter(
          (ip) => ipFamily(ip) === family && this.gatewayByIP.get(ip) != null,
        );
        this.liveIPs.set(`${policy.name}/${family}`, live);
      }
    }
  }

  private clusterRanges(): { ranges: CidrSet; list: string[] } {
    if (!this.clusterRangesCache) {
      const set = new CidrSet(this.configuredRanges);
      const configured = new CidrSet(this.configuredRanges);
      for (const node of this.nodes.values()) {
        for (const text of node.podCIDRs) {
          const parsed = parseCidr(text);
          if ('cidr' in parsed && !configured.covers(parsed.cidr)) set.add(parsed.cidr);
        }
      }
      // Node IPs are destinations only (an egress IP equal to one is a separate, clearer error).
      const destinations = new CidrSet(set.values());
      for (const node of this.nodes.values()) {
        for (const ip of node.internalIPs) if (!set.containing(ip)) destinations.add(hostCidr(ip));
      }
      const list = destinations
        .values()
        .map((c) => c.text)
        .sort(compareStrings);
      this.clusterRangesCache = { set, list };
    }
    return { ranges: this.clusterRangesCache.set, list: this.clusterRangesCache.list };
  }
}

/** Rendezvous over the live IPs; the common single-IP case needs no hashing. */
export function pickEgressIP(live: readonly string[] | undefined, podIP: string): string | null | undefined {
  if (live === undefined) return undefined;
  if (live.length <= 1) return live[0] ?? null;
  return rendezvousPick(podIP, live);
}

function nameOf(object: unknown): string | null {
  const name = (object as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string' && name !== '' ? name : null;
}

function generationOf(object: unknown): number {
  const generation = (object as { metadata?: { generation?: unknown } } | null)?.metadata?.generation;
  return typeof generation === 'number' ? generation : 1;
}
