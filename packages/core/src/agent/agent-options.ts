// Everything an Agent is configured with, with the defaults `egress-proxier run` uses. The timing defaults
// and the reasoning behind them are in docs/failover.md.
import type { PluginOptionValues } from '../plugin/proxier.js';

export interface AgentOptions {
  /** This node (node backends); also the agent's identity for leader election. */
  nodeName: string;
  /** Namespace of the heartbeat and leader leases. */
  namespace: string;
  /** Pod and service CIDRs (never SNATed, never valid egress IPs). */
  clusterCIDRs: string[];
  syncPeriodMs: number;
  minSyncPeriodMs: number;
  heartbeatIntervalMs: number;
  leaseDurationMs: number;
  /** A fenced agent withdraws this long before others can see its lease expire. */
  fenceMarginMs: number;
  /** A claim on an egress IP counts until its node's lease expired plus this margin. */
  handoverMarginMs: number;
  /** A gateway keeps an egress IP that moved to another node this long, while source nodes stop steering. */
  drainMs: number;
  /**
   * A planned stop (SIGTERM) keeps this node's lease and egress addresses fresh this long, so that a restart
   * within it moves nothing; a crash is fenced on the normal lease. 0: no hold.
   */
  restartHoldMs: number;
  /** False disables self-fencing (availability over the single-owner guarantee). */
  selfFencing: boolean;
  /**
   * Before self-fencing, ask the peers whether they reach the API server: stay while all are cut off too
   * (a full outage, nobody can take over). False: fence on the renewal deadline alone.
   */
  peerFencing: boolean;
  /** Port of the peers' health servers (`/peer/api-status`), reached at their InternalIP. */
  peerPort: number;
  leaderElection: {
    /** This agent's identity in the leader lease: the node name, or a unique name for cluster-scope agents. */
    identity?: string;
    leaseName: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  /** Minimum time between two rounds of status writes. */
  statusMinIntervalMs: number;
  /** How often the backend's traffic counters are read (docs/operating.md, "Traffic metrics"); 0: never. */
  trafficIntervalMs: number;
  /** The fraction of an egress IP's SNAT ports to one remote endpoint at which PortsNearExhaustion comes on. */
  portPressureThreshold: number;
  /** A watch that delivered nothing (not even a bookmark) for this long is restarted. */
  watchdogMs: number;
  /** Heartbeat leases change every interval, so their watch is judged much sooner. */
  leaseWatchdogMs: number;
  listTimeoutMs: number;
  watchBackoffInitialMs: number;
  watchBackoffMaxMs: number;
  pluginOptions: PluginOptionValues;
}

export const DEFAULT_AGENT_OPTIONS: Omit<AgentOptions, 'nodeName' | 'clusterCIDRs' | 'pluginOptions'> = {
  namespace: 'egress-proxier',
  syncPeriodMs: 30_000,
  minSyncPeriodMs: 1_000,
  heartbeatIntervalMs: 1_000,
  leaseDurationMs: 3_000,
  fenceMarginMs: 1_000,
  handoverMarginMs: 250,
  drainMs: 500,
  restartHoldMs: 20_000,
  selfFencing: true,
  peerFencing: true,
  peerPort: 10266,
  leaderElection: {
    leaseName: 'egress-proxier-leader',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
  },
  statusMinIntervalMs: 1_000,
  trafficIntervalMs: 15_000,
  portPressureThreshold: 0.8,
  watchdogMs: 120_000,
  leaseWatchdogMs: 6_000,
  listTimeoutMs: 120_000,
  watchBackoffInitialMs: 500,
  watchBackoffMaxMs: 30_000,
};
