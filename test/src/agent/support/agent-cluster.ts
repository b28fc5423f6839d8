// An in-memory cluster for agent end-to-end tests: the API server with the Egress CRD, three Ready gateway
// nodes, and in-process agents, each behind its own TCP proxy (so one can be cut off) with a recording
// backend. Each agent also serves its health endpoints (with `/peer/api-status`) on 127.0.0.1, and asks its
// peers there directly, not through the API proxies; `isolateFromPeers` makes one agent's peers unreachable
// to it.
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import {
  Agent,
  AgentMetrics,
  DEFAULT_AGENT_OPTIONS,
  silentLogger,
  systemClock,
  serveEndpoints,
  type AgentOptions,
  type Exec,
  type ListeningServer,
  type ProxierPlugin,
} from '@egress-proxier/core';
import { startApiServer, type KubeObject, type RunningApiServer } from '@egress-proxier/testing';
import { RecordingBackend } from './recording-backend.js';
import { TcpProxy } from './tcp-proxy.js';

const REPO_ROOT = new URL('../../../../', import.meta.url);
export const NAMESPACE = 'egress-proxier';

export const NODES = [
  { name: 'node-a', ip: '198.51.100.11', podCIDR: '10.244.1.0/24' },
  { name: 'node-b', ip: '198.51.100.12', podCIDR: '10.244.2.0/24' },
  { name: 'node-c', ip: '198.51.100.13', podCIDR: '10.244.3.0/24' },
];

export interface RunningAgent {
  node: string;
  agent: Agent;
  backend: RecordingBackend;
  proxy: TcpProxy;
  metrics: AgentMetrics;
  /** The agent's health server (healthz, livez, peer API status). */
  health: ListeningServer;
}

/** A port nothing listens on: asking a peer there is refused at once. */
const UNREACHABLE_PEER = 'http://127.0.0.1:1';

const noExec: Exec = {
  run: () => Promise.reject(new Error('the recording backend runs no commands')),
};

/** Fast but realistic timings: default heartbeat (1 s / 3 s), quicker leader election and syncs. */
export function testAgentOptions(node: string, overrides: Partial<AgentOptions> = {}): AgentOptions {
  return {
    ...DEFAULT_AGENT_OPTIONS,
    nodeName: node,
    clusterCIDRs: ['10.244.0.0/16', '10.96.0.0/12'],
    pluginOptions: {},
    minSyncPeriodMs: 50,
    statusMinIntervalMs: 100,
    watchdogMs: 3_000,
    watchBackoffInitialMs: 100,
    watchBackoffMaxMs: 1_000,
    leaderElection: {
      leaseName: 'egress-proxier-leader',
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 500,
    },
    ...overrides,
  };
}

export class AgentCluster {
  readonly agents = new Map<string, RunningAgent>();
  /** Agents whose peer checks reach nobody (cut off from the other agents as well as from the API). */
  readonly isolatedFromPeers = new Set<string>();

  private constructor(readonly api: RunningApiServer) {}

  static async start(): Promise<AgentCluster> {
    const api = await startApiServer({ historySize: 20_000, bookmarkIntervalMs: 500 });
    const crd = parse(
      readFileSync(new URL('deploy/crd/egress.proxier.io_egresses.yaml', REPO_ROOT), 'utf8'),
    ) as KubeObject;
    api.store.put(crd);
    // A real cluster always has `default`; events about cluster-scoped objects go there.
    api.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    api.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    api.store.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments', labels: { team: 'payments' } },
    });
    for (const node of NODES) api.store.put(nodeObject(node.name, node.ip, node.podCIDR));
    return new AgentCluster(api);
  }

  /**
   * Starts an agent for `node` with the recording backend, or with `plugin` (e.g. a cluster-scope one);
   * `seams` replaces the Exec that refuses every command (and sets the preflight's own).
   */
  async startAgent(
    node: string,
    overrides: Partial<AgentOptions> = {},
    plugin?: ProxierPlugin,
    seams: { exec?: Exec; probeExec?: Exec } = {},
  ): Promise<RunningAgent> {
    const target = new URL(this.api.url);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port));
    const options = this.api.kubeConfigForClientNode();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      ...options,
      // Plain HTTP through the proxy: client-node accepts http:// only with skipTLSVerify.
      clusters: options.clusters.map((c) => ({ ...c, server: proxy.url, skipTLSVerify: true })),
    });
    const backend = new RecordingBackend();
    const metrics = new AgentMetrics();
    const agent = new Agent(testAgentOptions(node, overrides), {
      kubeConfig,
      plugin: plugin ?? backend.plugin,
      exec: seams.exec ?? noExec,
      ...(seams.probeExec ? { probeExec: seams.probeExec } : {}),
      logger: silentLogger(),
      clock: systemClock,
      metrics,
      peerUrl: (peer) => this.peerUrl(node, peer),
    });
    const health = await serveEndpoints('127.0.0.1:0', {
      healthz: () => agent.healthz(),
      livez: () => agent.livez(),
      peerApiStatus: () => agent.peerApiStatus(),
    });
    const running = { node, agent, backend, proxy, metrics, health };
    this.agents.set(node, running);
    await agent.start();
    return running;
  }

  private peerUrl(from: string, peer: string): string | undefined {
    if (this.isolatedFromPeers.has(from)) return UNREACHABLE_PEER;
    const running = this.agents.get(peer);
    return running ? `http://127.0.0.1:${running.health.port}` : UNREACHABLE_PEER;
  }

  agent(node: string): RunningAgent {
    const found = this.agents.get(node);
    if (!found) throw new Error(`no agent on ${node}`);
    return found;
  }

  /**
   * Stops an agent the way a crash looks from outside: at once its connections die (no renewal gets through
   * while it winds down), no cleanup, its lease left to expire. `planned` stops it as SIGTERM does instead:
   * it releases leadership and writes its restart hold.
   */
  async stopAgent(node: string, options: { planned?: boolean } = {}): Promise<void> {
    const running = this.agent(node);
    this.agents.delete(node);
    const planned = options.planned ?? false;
    if (!planned) running.proxy.cut();
    await running.health.close();
    await running.agent.stop({ planned });
    await running.proxy.close();
  }

  async close(): Promise<void> {
    for (const node of [...this.agents.keys()]) await this.stopAgent(node);
    await this.api.close();
  }

  putEgress(name: string, spec: Record<string, unknown>): void {
    const existing = this.api.store.get('egress.proxier.io/v1alpha1', 'Egress', name);
    this.api.store.put({
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      metadata: { name },
      spec,
      ...(existing?.status ? { status: existing.status } : {}),
    } as KubeObject);
  }

  egressStatus(name: string): EgressStatusView {
    return (this.api.store.get('egress.proxier.io/v1alpha1', 'Egress', name)?.status ??
      {}) as EgressStatusView;
  }

  putPod(namespace: string, name: string, node: string, ip: string, labels: Record<string, string>): void {
    this.api.store.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels },
      spec: { nodeName: node, containers: [{ name: 'app', image: 'app' }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
    } as KubeObject);
  }
}

export interface EgressStatusView {
  observedGeneration?: number;
  selectedPods?: number;
  assignments?: { egressIP: string; node?: string }[];
  conditions?: {
    type: string;
    status: string;
    reason: string;
    message: string;
    lastTransitionTime: string;
  }[];
}

export function condition(
  status: EgressStatusView,
  type: string,
): { status: string; reason: string } | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/** A Ready node; by default labelled as a gateway (`egress.proxier.io/gateway=true`). */
export function nodeObject(
  name: string,
  ip: string,
  podCIDR: string,
  extraLabels: Record<string, string> = { 'egress.proxier.io/gateway': 'true' },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extraLabels } },
    spec: { podCIDR, podCIDRs: [podCIDR] },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
    },
  } as KubeObject;
}

/** Polls until `check` stops throwing (returns its value) or the time is up (rethrows its last error). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
