// Types of live-cluster.mjs, for the TypeScript tests that import it (test/src/disruption).
import type { ChildProcess } from 'node:child_process';
import type { Lab, LabNode, LabPod } from '@egress-proxier/netlab';

export const API_IP: string;
export const HEALTHZ_ADDRESS: string;
export const GATEWAY_LABEL: string;

export type LiveClusterStage = 'lab' | 'apiserver' | 'objects';

export interface LiveClusterOptions {
  /** Namespace name prefix (1-12 lowercase letters/digits); the API server's namespace is `<prefix>-api`. */
  prefix: string;
  /** Node count (default 3). */
  nodes?: number;
  podsPerNode?: number;
  /** 1-based indexes of the nodes labelled `egress.proxier.io/gateway=true`. */
  gatewayNodes?: readonly number[];
  /** The agents' `--backend` (default 'iptables'); its `--<backend>-uplink` is set per node. */
  backend?: string;
  /** Extra `egress-proxier run` flags for every agent, e.g. `--sync-period=2s`. */
  agentArgs?: readonly string[];
  /** External servers (default ['203.0.113.10']) and their port (default 8080). */
  externals?: readonly string[];
  serverPort?: number;
  /** Kubernetes namespace of the pods (default 'shop') and their labels (default {app: 'checkout'}). */
  podNamespace?: string;
  podLabels?: Readonly<Record<string, string>>;
  /** Called after each start stage; the cluster can already be cleaned up from the first one on. */
  onProgress?: (stage: LiveClusterStage, cluster: LiveCluster) => void | Promise<void>;
}

export interface ConnectionLoopOptions {
  ip: string;
  /** Default: the lab external server's port. */
  port?: number;
  /** A new connection starts this often (default 50 ms), whatever the previous ones do. */
  intervalMs?: number;
  /** An attempt with no answer after this long fails (default 1000 ms). */
  timeoutMs?: number;
}

/** One connection of the loop: the source address the server saw, or why it failed. */
export type ConnectionAttempt = { startedAt: number; endedAt: number } & (
  { source: string; error?: undefined } | { error: string; source?: undefined }
);

export interface ConnectionLoop {
  /** Attempts reported so far, in completion order. */
  readonly attempts: readonly ConnectionAttempt[];
  /** Stops starting attempts, waits for the in-flight ones, returns all attempts ordered by start. */
  stop(): Promise<ConnectionAttempt[]>;
}

export interface PodAttempts {
  pod: LabPod;
  /** Ordered by start. */
  attempts: ConnectionAttempt[];
}

export interface ConnectionLoops {
  readonly pods: readonly LabPod[];
  /** The loops, in `pods` order; their `attempts` grow while they run. */
  readonly loops: readonly ConnectionLoop[];
  /** Stops every loop (waiting for in-flight attempts) and returns each pod's attempts, in `pods` order. */
  stop(): Promise<PodAttempts[]>;
}

export interface LiveCluster {
  readonly lab: Lab;
  readonly kubeconfig: string;
  readonly apiNamespace: string;
  readonly podNamespace: string;
  kubectl(...args: string[]): Promise<string>;
  /** kubectl apply of YAML/JSON text or of an object. */
  apply(manifest: string | object): Promise<string>;
  node(nodeOrName: LabNode | string): LabNode;
  /** The agents' backend. */
  readonly backend: string;
  /** Starts `egress-proxier run --backend=<backend>` in the node's namespace (throws if one is running). */
  startAgent(nodeOrName: LabNode | string, extraArgs?: readonly string[]): ChildProcess;
  agentRunning(nodeOrName: LabNode | string): boolean;
  /** The backend option values of the node's own host state (plugin.labNode), e.g. the eBPF pin directory. */
  nodeBackendOptions(nodeOrName: LabNode | string): Readonly<Record<string, unknown>>;
  /** Signals the agent (default SIGTERM) and resolves once it exited (SIGKILL after graceMs, default 10 s). */
  stopAgent(
    nodeOrName: LabNode | string,
    signal?: NodeJS.Signals,
    graceMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  agentHealthy(nodeOrName: LabNode | string): Promise<boolean>;
  /** Names of the nodes whose uplink holds `ip`. */
  holders(ip: string): Promise<string[]>;
  startConnectionLoop(pod: LabPod, options: ConnectionLoopOptions): Promise<ConnectionLoop>;
  /** One loop per pod, started at once and stopped together. */
  startConnectionLoops(pods: readonly LabPod[], options: ConnectionLoopOptions): Promise<ConnectionLoops>;
  /** POST /__fault/<action> of the in-memory API server (pause {mode, durationMs}, resume, reset…), by curl. */
  apiFault(action: string, body?: object): Promise<unknown>;
  logTails(lines?: number): string;
  cleanup(): Promise<void>;
}

export function startLiveCluster(options: LiveClusterOptions): Promise<LiveCluster>;

export function waitFor<T>(
  what: string,
  check: () => Promise<T>,
  timeoutMs?: number,
  intervalMs?: number,
): Promise<T>;
