// The cluster every disruption scenario runs on, and the steady state each one starts from and must leave:
// the live cluster of `npm run demo` (scripts/demo/live-cluster.mjs: three node namespaces, node-2 and node-3
// gateway-eligible, the in-memory API server over HTTPS, one real `egress-proxier run --backend=iptables` per
// node with default flags) and two Egresses for all pods:
//
//   BASE_EGRESS   192.0.2.100 toward 203.0.113.0/24: always present (failover, restarts, API hangs use it)
//   PROBE_EGRESS  192.0.2.101 toward 198.51.100.0/24: absent at rest; the apply and delete scenarios create and
//                 remove it, while BASE_EGRESS keeps the gateways eligible (a cluster that already has Egresses)
import { rendezvousPick } from '@egress-proxier/core';
import { assertLabPrerequisites, type LabPod } from '@egress-proxier/netlab';
import {
  startLiveCluster,
  waitFor,
  type LiveCluster,
  type LiveClusterOptions,
} from '../../../../scripts/demo/live-cluster.mjs';
import { snatConnectionsClosedSince } from '../conntrack.js';
import { natFlowsSince } from '../nat-entries.js';
import { cleanupOnSignal } from '../signal-cleanup.js';

export interface EgressUnderTest {
  name: string;
  egressIP: string;
  /** The external server the connection loops use; inside `destinationCIDR`. */
  external: string;
  destinationCIDR: string;
}

export const BASE_EGRESS: EgressUnderTest = {
  name: 'checkout',
  egressIP: '192.0.2.100',
  external: '203.0.113.10',
  destinationCIDR: '203.0.113.0/24',
};

export const PROBE_EGRESS: EgressUnderTest = {
  name: 'checkout-probe',
  egressIP: '192.0.2.101',
  external: '198.51.100.10',
  destinationCIDR: '198.51.100.0/24',
};

const GATEWAY_NODE_INDEXES = [2, 3] as const;
const POD_LABELS = { app: 'checkout' } as const;

/** Everything the scenarios run, checked before the lab is built so a missing tool is named, not a timeout. */
export const PREREQUISITES = [
  'kubectl',
  'curl',
  'conntrack',
  'ipset',
  'arping',
  'iptables-nft',
  'iptables-nft-restore',
  'iptables-nft-save',
] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DisruptionClusterOptions {
  /** Namespace prefix (uniquePrefix(...)). */
  prefix: string;
  /** Extra agent flags; the scenarios' targets assume the defaults, so the suite passes none. */
  agentArgs?: readonly string[];
  /** The agents' backend (default iptables). */
  backend?: 'iptables' | 'ebpf';
}

/** Ephemeral ports per pod: pod i (from 0) connects from [BAND_START + i·BAND, BAND_START + (i+1)·BAND). */
const BAND_START = 20_000;
const BAND = 4_000;

/**
 * Each pod connects from its own band of ephemeral ports, so no two pods' connections to one server share a
 * source port. A connection that moves to another gateway keeps its address and port only when that port is
 * free on the egress IP there, and with shared ports a busy connection loop's leftovers (TIME_WAIT) take some
 * (docs/failover.md: a port mapping computable from the flow would remove this); the long-lived connections
 * of the sigkill scenario measure the carry-over itself, not the odds of that clash.
 */
async function givePodsOwnPortBands(live: LiveCluster): Promise<void> {
  await Promise.all(
    live.lab.pods.map((pod, index) => {
      const first = BAND_START + index * BAND;
      return live.lab.exec(pod.namespace, 'sysctl', [
        '-qw',
        `net.ipv4.ip_local_port_range=${first} ${first + BAND - 1}`,
      ]);
    }),
  );
}

export class DisruptionCluster {
  private readonly uninstallSignalCleanup: () => void;

  private constructor(readonly live: LiveCluster) {
    this.uninstallSignalCleanup = cleanupOnSignal(() => live.cleanup());
  }

  /** Builds the lab, starts every agent, creates BASE_EGRESS and waits for the steady state. */
  static async start(options: DisruptionClusterOptions): Promise<DisruptionCluster> {
    await assertLabPrerequisites(PREREQUISITES);
    const clusterOptions: LiveClusterOptions = {
      prefix: options.prefix,
      nodes: 3,
      podsPerNode: 1,
      gatewayNodes: GATEWAY_NODE_INDEXES,
      externals: [BASE_EGRESS.external, PROBE_EGRESS.external],
      podLabels: POD_LABELS,
      ...(options.agentArgs ? { agentArgs: options.agentArgs } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
    };
    const live = await startLiveCluster(clusterOptions);
    const cluster = new DisruptionCluster(live);
    try {
      await givePodsOwnPortBands(live);
      for (const node of live.lab.nodes) live.startAgent(node);
      await Promise.all(live.lab.nodes.map((node) => cluster.waitHealthy(node.name)));
      await cluster.applyEgress(BASE_EGRESS);
      const problems = await cluster.waitSteady(30_000);
      if (problems.length > 0) throw new Error(`the cluster did not settle: ${problems.join('; ')}`);
      // The scenarios measure a cluster that has been running: the agents' start-up syncs and BASE_EGRESS
      // have used their sync burst, which refills one sync per --min-sync-period (1 s).
      await sleep(3_000);
    } catch (error) {
      if (error instanceof Error) error.message += `\n${live.logTails(10)}`;
      await cluster.cleanup();
      throw error;
    }
    return cluster;
  }

  get nodeNames(): string[] {
    return this.live.lab.nodes.map((node) => node.name);
  }

  get gatewayCandidates(): string[] {
    return GATEWAY_NODE_INDEXES.map((index) => this.live.lab.node(index).name);
  }

  /** pod-1-1 on node-1: never gateway-eligible, so its traffic is always steered to a gateway. */
  get sourcePod(): LabPod {
    return this.live.lab.pod(1, 1);
  }

  podOn(nodeName: string): LabPod {
    const pod = this.live.node(nodeName).pods[0];
    if (pod === undefined) throw new Error(`${nodeName} has no pod`);
    return pod;
  }

  /** The pod's source address without an Egress: its node's IP (the CNI masquerade). */
  nodeIPOf(pod: LabPod): string {
    return pod.node.ip;
  }

  /**
   * The gateway every agent computes for `egress` while both candidates are live: the same rendezvous hash the
   * core uses, so a scenario knows the gateway's pod before the IP exists anywhere.
   */
  expectedGateway(egress: EgressUnderTest): string {
    const gateway = rendezvousPick(egress.egressIP, this.gatewayCandidates);
    if (gateway === null) throw new Error('no gateway candidates');
    return gateway;
  }

  manifest(egress: EgressUnderTest): object {
    return {
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      metadata: { name: egress.name },
      spec: {
        podSelector: { matchLabels: POD_LABELS },
        egressIPs: [egress.egressIP],
        destinationCIDRs: [egress.destinationCIDR],
        failurePolicy: 'FailClosed',
      },
    };
  }

  /** kubectl apply; resolves with the time kubectl returned (the object exists from then on at the latest). */
  async applyEgress(egress: EgressUnderTest): Promise<number> {
    await this.live.apply(this.manifest(egress));
    return Date.now();
  }

  /** kubectl delete (waits until the object is gone); resolves with the time kubectl returned. */
  async deleteEgress(egress: EgressUnderTest): Promise<number> {
    await this.live.kubectl('delete', 'egress', egress.name, '--ignore-not-found');
    return Date.now();
  }

  async egressExists(egress: EgressUnderTest): Promise<boolean> {
    const out = await this.live.kubectl('get', 'egress', egress.name, '--ignore-not-found', '-o', 'name');
    return out.trim() !== '';
  }

  waitHealthy(nodeName: string, timeoutMs = 30_000): Promise<boolean> {
    return waitFor(
      `the agent on ${nodeName} to report healthy`,
      () => this.live.agentHealthy(nodeName),
      timeoutMs,
      100,
    );
  }

  /**
   * How many of `source`'s connections `nodeName` translated that ended (iptables: closed, from conntrack) or
   * were last used (ebpf: from its NAT map) after `since`: which gateway carried them.
   */
  async connectionsTranslatedBy(nodeName: string, source: string, since: number): Promise<number> {
    if (this.live.backend !== 'ebpf')
      return snatConnectionsClosedSince(this.live.node(nodeName).namespace, source, since);
    const pinDir = this.live.nodeBackendOptions(nodeName)['pinDir'];
    if (typeof pinDir !== 'string') throw new Error(`${nodeName} has no eBPF pin directory`);
    return natFlowsSince(pinDir, source, since);
  }

  /** The source one new connection from `pod` to `external` leaves with, or undefined if it fails. */
  async sourceSeen(pod: LabPod, external: string): Promise<string | undefined> {
    return this.live.lab.connectFrom(pod, external, undefined, 1000).catch(() => undefined);
  }

  /** What the source, gateway-candidate and every other pod must see at rest, per external. */
  private expectedAtRest(): { pod: LabPod; external: string; source: string }[] {
    return this.live.lab.pods.flatMap((pod) => [
      { pod, external: BASE_EGRESS.external, source: BASE_EGRESS.egressIP },
      { pod, external: PROBE_EGRESS.external, source: this.nodeIPOf(pod) },
    ]);
  }

  /** Why the cluster is not in its steady state right now ([] = it is). */
  async steadyProblems(): Promise<string[]> {
    const problems: string[] = [];
    for (const node of this.nodeNames) {
      if (!this.live.agentRunning(node)) problems.push(`the agent on ${node} is not running`);
      else if (!(await this.live.agentHealthy(node))) problems.push(`the agent on ${node} is not healthy`);
    }
    if (!(await this.egressExists(BASE_EGRESS))) problems.push(`Egress ${BASE_EGRESS.name} is missing`);
    if (await this.egressExists(PROBE_EGRESS)) problems.push(`Egress ${PROBE_EGRESS.name} is present`);
    const baseHolders = await this.live.holders(BASE_EGRESS.egressIP);
    const gateway = this.expectedGateway(BASE_EGRESS);
    if (baseHolders.join() !== gateway)
      problems.push(`${BASE_EGRESS.egressIP} is held by [${baseHolders.join(', ')}], not [${gateway}]`);
    const probeHolders = await this.live.holders(PROBE_EGRESS.egressIP);
    if (probeHolders.length > 0)
      problems.push(`${PROBE_EGRESS.egressIP} is still held by [${probeHolders.join(', ')}]`);
    const expected = this.expectedAtRest();
    const seen = await Promise.all(expected.map(({ pod, external }) => this.sourceSeen(pod, external)));
    for (const [index, { pod, external, source }] of expected.entries())
      if (seen[index] !== source)
        problems.push(`${pod.name} → ${external} leaves as ${seen[index] ?? 'nothing'}, not ${source}`);
    return problems;
  }

  /** Waits up to `timeoutMs` for the steady state; resolves with what is still wrong then ([] = steady). */
  async waitSteady(timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const problems = await this.steadyProblems();
      if (problems.length === 0 || Date.now() > deadline) return problems;
      await sleep(250);
    }
  }

  /**
   * Puts the cluster back into its steady state after a run that did not (a failed scenario): resumes the API
   * server, starts stopped agents, restores the Egresses, then waits. Resolves with what it had to fix.
   */
  async restoreSteady(timeoutMs = 30_000): Promise<string[]> {
    const fixes: string[] = [];
    await this.live.apiFault('reset');
    for (const node of this.nodeNames)
      if (!this.live.agentRunning(node)) {
        this.live.startAgent(node);
        fixes.push(`started the agent on ${node}`);
      }
    if (!(await this.egressExists(BASE_EGRESS))) {
      await this.applyEgress(BASE_EGRESS);
      fixes.push(`re-created Egress ${BASE_EGRESS.name}`);
    }
    if (await this.egressExists(PROBE_EGRESS)) {
      await this.deleteEgress(PROBE_EGRESS);
      fixes.push(`deleted Egress ${PROBE_EGRESS.name}`);
    }
    const problems = await this.waitSteady(timeoutMs);
    if (problems.length > 0)
      throw new Error(`could not restore the cluster's steady state: ${problems.join('; ')}`);
    return fixes;
  }

  async cleanup(): Promise<void> {
    await this.live.cleanup();
    this.uninstallSignalCleanup();
  }
}
