// The plugin contract between the core and a backend. Backends receive snapshots (a whole desired table),
// never events, and make their datapath match it (the `Apply(state)` boundary of Calico's eBPF proxy).
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { EgressCondition } from '../api/egress-types.js';
import type { Exec } from '../exec/exec.js';
import type { NodeEgressTable } from '../table/node-egress-table.js';
import type { ClusterEgressTable } from '../table/cluster-egress-table.js';
import type { ProxierCapability } from './capabilities.js';
import type { TrafficReading } from './traffic.js';
import type { Clock } from '../runner/clock.js';

export type ProxierScope = 'node' | 'cluster';

/** A backend flag, exposed on the CLI as `--<plugin name>-<option name>` (kube-proxy's `--iptables-*` style). */
export interface PluginOption {
  type: 'string' | 'number' | 'boolean';
  description: string;
  default?: string | number | boolean;
  choices?: readonly string[];
}

export type PluginOptionValues = Readonly<Record<string, string | number | boolean | undefined>>;

/** What the core hands a backend when it creates one. */
export interface ProxierContext {
  nodeName: string;
  exec: Exec;
  logger: Logger;
  clock: Clock;
  options: PluginOptionValues;
  /** API access for backends that program through Kubernetes (cluster scope); absent offline. */
  kubeConfig?: KubeConfig;
  /**
   * The kernel lifetime, in whole seconds, that an egress address added now must get (`ip addr add …
   * valid_lft N preferred_lft N`): what this node's heartbeat lease allows, so that the address is gone
   * before a peer may take the IP over even if the agent dies at once. Computed at each call from the
   * fencing controller (it shrinks as the last renewal ages); 0 means no egress address may be added now
   * (this node is not entitled to hold egress IPs, or the lease's budget is spent). Use it instead of a
   * default of the backend's own; `heartbeat(lifetimeSeconds)` still renews what the node already holds.
   * The agent sets it for node proxiers (and their companions); absent where nothing is fenced: cluster
   * scope, `cleanup`, `preflight`, and contexts that tests build by hand.
   */
  addressLifetime?(): number;
}

/** The exact datapath state a table becomes, for `egress-proxier render` and golden tests. */
export interface RenderedDatapath {
  sections: RenderedSection[];
}

export interface RenderedSection {
  /** What the content is, e.g. `ipset restore`, `iptables-restore (nat)`, `ip route`. */
  title: string;
  content: string;
}

/** What a sync achieved, beyond "it did not throw". */
export interface SyncReport {
  /** False when the backend found nothing to change. */
  changed: boolean;
  /**
   * Counts for metrics, e.g. `{ rules: 12, setEntries: 3000 }`: each becomes the gauge
   * `egress_proxier_backend_counts{backend,kind}`, set by every successful sync; a kind a later report leaves
   * out is removed. Report them all every time, as stable camelCase names.
   */
  counts?: Readonly<Record<string, number>>;
  /**
   * Conditions only the backend can know (e.g. Calico's `PodsPendingRecreate`), per Egress name. The status
   * writer adds them to the core's Accepted/Ready/Conflicted conditions; a type missing from a later report
   * is removed, and an Egress of the synced table missing from the map has none. Read from cluster-scope
   * proxiers only: the leader writes status, and a node proxier's report would describe one node.
   */
  policyConditions?: ReadonlyMap<string, readonly EgressCondition[]>;
}

/**
 * A sync that failed but can still say something per Egress (e.g. Calico's `CalicoAPIUnavailable`). The
 * agent writes those conditions to status and retries the sync with backoff, as for any failure.
 */
export class SyncFailedError extends Error {
  override name = 'SyncFailedError';

  constructor(
    message: string,
    readonly policyConditions: ReadonlyMap<string, readonly EgressCondition[]>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface NodeProxier {
  /** Make this node's datapath match `table`. Idempotent; may be called with an unchanged table. */
  sync(table: NodeEgressTable, signal: AbortSignal): Promise<SyncReport>;
  /**
   * Called on every successful heartbeat renewal; extends kernel-side lifetimes (e.g. address
   * `valid_lft`) of what this node holds so that a crashed agent's egress IPs expire by themselves.
   * Must be cheap: it runs every renew interval.
   */
  heartbeat?(lifetimeSeconds: number, signal: AbortSignal): Promise<void>;
  /**
   * The datapath's counters for the egress IPs this node holds and their SNAT port use (traffic.ts). Called
   * every --traffic-interval, outside syncs, and possibly while one runs: read only, never write. A backend
   * without it has no traffic metrics.
   */
  readTraffic?(signal: AbortSignal): Promise<TrafficReading>;
  /** Remove everything this backend ever programmed, and nothing else. */
  cleanup(signal: AbortSignal): Promise<void>;
}

export interface ClusterProxier {
  sync(table: ClusterEgressTable, signal: AbortSignal): Promise<SyncReport>;
  cleanup(signal: AbortSignal): Promise<void>;
}

/** What a companion gets: the proxier context plus the agent's current cluster-wide table. */
export type CompanionContext = ProxierContext & {
  /** Every accepted policy as the agent sees it now (cheap: rebuilt only when the model changed). */
  clusterTable(): ClusterEgressTable;
};

/** A service a backend runs on every agent, leader or not (e.g. Calico's pod admission webhook). */
export interface Companion {
  stop(): Promise<void>;
}

/** One thing a backend needs from the host (a tool, a kernel feature, a setting), checked before it starts. */
export interface PreflightCheck {
  /** Short and stable, e.g. `iptables-restore`, `kernel: xt_mark`, `net.ipv4.ip_forward`. */
  name: string;
  ok: boolean;
  /** What was found, passing or not: a version, a value, the error. */
  detail?: string;
  /** What the user should do when it fails, e.g. `install the ipset package`. */
  remedy?: string;
  /**
   * `error` (the default): a failure stops the agent. `warning`: reported, but the agent starts (a setting
   * that breaks only some setups, e.g. strict rp_filter on a gateway that receives steered traffic).
   */
  severity?: 'error' | 'warning';
}

export interface PreflightReport {
  checks: readonly PreflightCheck[];
}

interface PluginBase {
  /** Name used with `--backend`, lowercase letters, digits and dashes. */
  name: string;
  description: string;
  capabilities: readonly ProxierCapability[];
  options?: Readonly<Record<string, PluginOption>>;
  /**
   * Probes the tools and kernel features the backend needs, through `context.exec` (so tests fake the
   * probes), and lists every check with what it found. The agent runs it before it creates the proxier and
   * before its heartbeat makes the node a gateway candidate, and refuses to start (exit code 1) with the
   * failed checks as the reason, instead of failing at the first sync; `egress-proxier preflight` prints the
   * same report. It must leave the host as it found it: probes run for real even under `--dry-run` (a
   * skipped probe would prove nothing). Honour `signal`: the agent gives up after a minute. A preflight
   * that throws counts as one failed check.
   */
  preflight?(context: ProxierContext, signal: AbortSignal): Promise<PreflightReport>;
  /**
   * Started on every agent once its informers have listed, whatever the leadership, and stopped when the
   * agent stops. A companion that fails to start makes the agent unready (`/healthz`), not dead.
   */
  companion?(context: CompanionContext): Companion | Promise<Companion>;
  /**
   * For labs that run several simulated nodes on one host (the conformance suite): the option values that
   * give one node's proxier host state of its own in `dir` (an empty directory the lab made for that node and
   * removes afterwards), and how to undo what was done for it (e.g. an unmount). Only a backend that keeps
   * files on the host (e.g. bpffs pins) needs it; the others share nothing between nodes but the host.
   */
  labNode?(dir: string, exec: Exec): Promise<LabNodeSetup>;
}

export interface LabNodeSetup {
  options: PluginOptionValues;
  release(): Promise<void>;
}

/** Runs on every node and programs that node's kernel from its `NodeEgressTable`. */
export interface NodeProxierPlugin extends PluginBase {
  scope: 'node';
  create(context: ProxierContext): NodeProxier | Promise<NodeProxier>;
  /** Pure: the datapath `sync` would program for `table`, with no kernel access. */
  render(table: NodeEgressTable, options: PluginOptionValues): RenderedDatapath;
}

/** Runs once per cluster, under leader election, from the cluster-wide table (e.g. Calico IP pools). */
export interface ClusterProxierPlugin extends PluginBase {
  scope: 'cluster';
  create(context: ProxierContext): ClusterProxier | Promise<ClusterProxier>;
  render(table: ClusterEgressTable, options: PluginOptionValues): RenderedDatapath;
}

export type ProxierPlugin = NodeProxierPlugin | ClusterProxierPlugin;

/** Identity helper that gives plugin authors type checking and a single, greppable entry point. */
export function createProxierPlugin<T extends ProxierPlugin>(plugin: T): T {
  return plugin;
}
