// The cluster a conformance run drives: a dual-stack netlab lab (3 nodes, 2 pods each, 3 external servers),
// the core's own EgressModel fed with Node, Namespace, Pod and Egress objects, and one proxier of the backend
// under test per node. Tables come from the core's buildNodeEgressTable, in the order the hand-over protocol
// produces them (handover.ts), so the backend is judged on exactly what the agent would hand it.
import {
  buildNodeEgressTable,
  EgressModel,
  systemClock,
  type NodeEgressTable,
  type NodeProxier,
  type NodeProxierPlugin,
  type PluginOptionValues,
  type SlimNamespace,
  type SlimNode,
  type SlimPod,
  type SyncReport,
} from '@egress-proxier/core';
import { namespaceExec, type Lab, type LabNode, type LabPod, type Prober } from '@egress-proxier/netlab';
import type { Logger } from 'pino';
import { CLUSTER_CIDRS, type Family } from './addresses.js';
import { HandOver } from './handover.js';
import { LabNodeState } from './lab-node-state.js';

export const GATEWAY_LABEL = 'egress.proxier.io/gateway';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** Pod j of every node: j = 1 runs in namespace `payments` (app=db-client), j = 2 in `shop` (app=web). */
export const POD_NAMESPACES = { 1: 'payments', 2: 'shop' } as const;
const POD_APPS = { 1: 'db-client', 2: 'web' } as const;

export class ConformanceWorld {
  readonly model: EgressModel;
  readonly proxiers = new Map<string, NodeProxier>();
  readonly handOver = new HandOver();
  /** Host state of each node's own (plugin.labNode), prepared by the runner. */
  readonly nodeState = new LabNodeState();
  private readonly probers = new Map<string, Prober>();
  private readonly nodeLabels = new Map<string, Record<string, string>>();
  private generation = 0;

  constructor(
    readonly lab: Lab,
    readonly plugin: NodeProxierPlugin,
    readonly pluginOptions: PluginOptionValues,
    readonly logger: Logger,
  ) {
    this.model = new EgressModel({ clusterCIDRs: CLUSTER_CIDRS, capabilities: plugin.capabilities });
  }

  /** Nodes, namespaces and pods as the lab built them; node-1 and node-2 carry the gateway label. */
  populate(): void {
    for (const node of this.lab.nodes) {
      this.nodeLabels.set(node.name, {
        [HOSTNAME_LABEL]: node.name,
        ...(node.index <= 2 ? { [GATEWAY_LABEL]: 'true' } : {}),
      });
      this.upsertNode(node);
    }
    for (const name of Object.values(POD_NAMESPACES)) this.setNamespaceLabels(name, { team: name });
    for (const pod of this.lab.pods) this.model.upsertPod(this.slimPod(pod, {}));
  }

  setNodeLabel(node: LabNode, key: string, value: string | undefined): void {
    const labels = { ...this.nodeLabels.get(node.name) };
    if (value === undefined) delete labels[key];
    else labels[key] = value;
    this.nodeLabels.set(node.name, labels);
    this.upsertNode(node);
  }

  setNamespaceLabels(name: string, labels: Record<string, string>): void {
    const namespace: SlimNamespace = {
      name,
      labels: { 'kubernetes.io/metadata.name': name, ...labels },
    };
    this.model.upsertNamespace(namespace);
  }

  setPodLabels(pod: LabPod, labels: Record<string, string>): void {
    this.model.upsertPod(this.slimPod(pod, labels));
  }

  /** Creates or replaces an Egress (`spec` as a user writes it); every write is a new generation. */
  applyEgress(name: string, spec: Record<string, unknown>): void {
    const validation = this.model.upsertEgress({
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      metadata: {
        name,
        generation: ++this.generation,
        creationTimestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, this.generation)).toISOString(),
      },
      spec,
    });
    if (!validation.ok)
      throw new Error(`case error: Egress ${name} is invalid: ${JSON.stringify(validation)}`);
    const rejection = this.model.rejectionOf(name);
    if (rejection !== null)
      throw new Error(`case error: Egress ${name} not accepted: ${JSON.stringify(rejection)}`);
  }

  deleteEgress(name: string): void {
    this.model.deleteEgress(name);
  }

  /** Back to the populated state with no Egress (between cases). */
  reset(): void {
    for (const name of this.model.policyNames()) this.model.deleteEgress(name);
    this.populate();
  }

  // ---- proxiers and tables ----

  async startProxiers(): Promise<void> {
    for (const node of this.lab.nodes) this.proxiers.set(node.name, await this.createProxier(node));
  }

  /** A new proxier instance for a node (an agent restart): it must adopt what the kernel holds. */
  async createProxier(node: LabNode): Promise<NodeProxier> {
    return this.plugin.create({
      nodeName: node.name,
      exec: namespaceExec(this.lab, node.namespace),
      logger: this.logger.child({ node: node.name }),
      clock: systemClock,
      options: this.optionsOf(node),
    });
  }

  /** The option values the node's proxier runs with (the run's, plus its own host state's). */
  optionsOf(node: LabNode): PluginOptionValues {
    return this.nodeState.options(node.name, this.pluginOptions);
  }

  proxier(node: LabNode): NodeProxier {
    const proxier = this.proxiers.get(node.name);
    if (proxier === undefined) throw new Error(`no proxier for ${node.name}`);
    return proxier;
  }

  table(node: LabNode): NodeEgressTable {
    return buildNodeEgressTable(this.model, node.name, this.handOver.view(node.name));
  }

  /** Syncs every node once with its current table; nodes in parallel, as separate agents would. */
  async syncAll(signal: AbortSignal): Promise<Map<string, SyncReport>> {
    const reports = new Map<string, SyncReport>();
    await Promise.all(
      this.lab.nodes.map(async (node) => {
        reports.set(node.name, await this.proxier(node).sync(this.table(node), signal));
      }),
    );
    return reports;
  }

  /**
   * Brings every node to the model's current state through the hand-over steps (handover.ts): hold the
   * traffic of moving IPs, withdraw them from old gateways, program them on new ones, then steer to them.
   */
  async converge(signal: AbortSignal): Promise<void> {
    for (const step of this.handOver.steps(this.model)) {
      step();
      await this.syncAll(signal);
    }
  }

  // ---- traffic ----

  prober(from: LabPod | LabNode): Prober {
    let prober = this.probers.get(from.namespace);
    if (prober === undefined) {
      prober = this.lab.prober(from.namespace);
      this.probers.set(from.namespace, prober);
    }
    return prober;
  }

  stopProbers(): void {
    for (const prober of this.probers.values()) prober.stop();
    this.probers.clear();
  }

  podAddress(pod: LabPod, family: Family): string {
    const address = family === 4 ? pod.ip : pod.ip6;
    if (address === undefined) throw new Error(`pod ${pod.name} has no IPv${family} address`);
    return address;
  }

  nodeAddress(node: LabNode, family: Family): string {
    const address = family === 4 ? node.ip : node.ip6;
    if (address === undefined) throw new Error(`node ${node.name} has no IPv${family} address`);
    return address;
  }

  private upsertNode(node: LabNode): void {
    const slim: SlimNode = {
      name: node.name,
      labels: this.nodeLabels.get(node.name) ?? {},
      ready: true,
      internalIPs: [node.ip, ...(node.ip6 === undefined ? [] : [node.ip6])],
      podCIDRs: [node.podCIDR, ...(node.podCIDR6 === undefined ? [] : [node.podCIDR6])],
    };
    this.model.upsertNode(slim);
  }

  private slimPod(pod: LabPod, extraLabels: Record<string, string>): SlimPod {
    const index = Number(pod.name.split('-')[2]) as 1 | 2;
    return {
      namespace: POD_NAMESPACES[index],
      name: pod.name,
      labels: { app: POD_APPS[index], ...extraLabels },
      nodeName: pod.node.name,
      hostNetwork: false,
      phase: 'Running',
      podIPs: [pod.ip, ...(pod.ip6 === undefined ? [] : [pod.ip6])],
    };
  }
}
