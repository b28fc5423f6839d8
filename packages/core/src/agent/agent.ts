// The Kubernetes agent, as a composition: informers feed the EgressModel; a node backend gets a node sync
// loop and the fencing controller (heartbeats, liveness, hand-overs, kernel lifetimes), a cluster-scope
// backend a cluster sync loop that runs on the leader; the leader writes Egress status; a plugin's companion
// runs on every agent.
//
// Invariants:
// - Nothing is synced before every informer has listed once (an empty cache is not "no policies").
// - Losing the API server changes nothing by itself: informers keep their caches, the loops re-sync the same
//   table. Self-fencing is the deliberate exception (docs/failover.md).
// - A planned stop (SIGTERM) leaves the datapath in place and holds the heartbeat for the restart hold.
import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { EgressModel } from '../model/egress-model.js';
import { noNodeGateways } from '../gateway/gateway-assigner.js';
import type { Clock } from '../runner/clock.js';
import { sleepOn } from '../runner/clock.js';
import type { Exec } from '../exec/exec.js';
import type { ProxierContext, ProxierPlugin } from '../plugin/proxier.js';
import { KubeClient } from '../kube/kube-client.js';
import { StatusWriter } from '../kube/status-writer.js';
import type { SlimEgress } from '../kube/slim-convert.js';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import type { HealthReport } from '../observability/http-endpoints.js';
import { FencingController } from '../fencing/fencing-controller.js';
import { LeaseLiveness } from '../fencing/lease-liveness.js';
import {
  PeerChecker,
  peerUrlFromAddress,
  type PeerApiStatus,
  type PeerUrlResolver,
} from '../fencing/peer-fencing.js';
import type { AgentOptions } from './agent-options.js';
import { agentInformers } from './agent-informers.js';
import { BackendConditionStore } from './backend-conditions.js';
import { ClusterSyncLoop } from './cluster-sync-loop.js';
import { ClusterTableCache } from './cluster-table-cache.js';
import { CompanionHost } from './companion-host.js';
import { Informers } from './informers.js';
import { Leadership } from './leadership.js';
import { NodeDatapath } from './node-datapath.js';
import { NodeSyncLoop } from './node-sync-loop.js';
import { leaderIdentity } from './leader-identity.js';

export interface AgentDependencies {
  kubeConfig: KubeConfig;
  plugin: ProxierPlugin;
  exec: Exec;
  logger: Logger;
  clock: Clock;
  metrics: AgentMetrics;
  /** Where to ask a peer for its API status; default `http://<InternalIP>:<peerPort>` (tests inject). */
  peerUrl?: PeerUrlResolver;
}

type AgentState = 'created' | 'starting' | 'running' | 'stopped';

export class Agent {
  readonly model: EgressModel;
  private readonly client: KubeClient;
  private readonly logger: Logger;
  private readonly informers: Informers;
  private readonly fencing: FencingController | undefined;
  private readonly leadership: Leadership;
  private readonly clusterLoop: ClusterSyncLoop | undefined;
  private readonly companion: CompanionHost;
  private nodeLoop: NodeSyncLoop | undefined;
  private state: AgentState = 'created';

  constructor(
    private readonly options: AgentOptions,
    private readonly deps: AgentDependencies,
  ) {
    const { plugin, clock, metrics } = deps;
    if (plugin.scope === 'node' && options.nodeName === '')
      throw new Error(`backend ${plugin.name} runs on every node: the node name is required`);
    this.logger = deps.logger.child({ component: 'agent', node: options.nodeName });
    this.client = new KubeClient(deps.kubeConfig);
    const liveness = plugin.scope === 'node' ? this.leaseLiveness() : undefined;
    this.model = new EgressModel({
      clusterCIDRs: options.clusterCIDRs,
      capabilities: plugin.capabilities,
      liveness: liveness ?? noNodeGateways,
    });
    if (liveness) this.fencing = this.fencingController(liveness);
    const conditions = new BackendConditionStore();
    if (plugin.scope === 'cluster')
      this.clusterLoop = new ClusterSyncLoop(options, {
        plugin,
        context: this.proxierContext(),
        model: this.model,
        conditions,
        conditionsChanged: () => this.leadership.statusMayHaveChanged(),
        clock,
        logger: this.logger,
        metrics,
      });
    this.informers = new Informers(
      this.client,
      options,
      agentInformers(options.namespace, this.model, {
        changed: () => this.changed(),
        statusChanged: () => this.leadership.statusMayHaveChanged(),
        fencing: this.fencing,
      }),
      { clock, logger: this.logger, observer: this.informerObserver() },
    );
    const egresses = this.informers.cache<SlimEgress>('egresses');
    this.leadership = new Leadership(
      {
        election: {
          namespace: options.namespace,
          ...options.leaderElection,
          identity: leaderIdentity(options),
        },
        statusMinIntervalMs: options.statusMinIntervalMs,
        syncPeriodMs: options.syncPeriodMs,
      },
      {
        client: this.client,
        statusWriter: new StatusWriter(
          this.client,
          this.model,
          (name) => egresses.get(name),
          // A node proxier's report covers one node; only the cluster proxier's (on this leader) counts.
          (outcome) => (plugin.scope === 'cluster' ? conditions.conditionsFor(outcome) : []),
          clock,
          this.logger.child({ component: 'status' }),
          {
            statusWritten: (_policy, ok) => metrics.statusWrites.inc({ result: ok ? 'success' : 'failure' }),
          },
        ),
        startedLeading: () => this.clusterLoop?.startedLeading(),
        stoppedLeading: () => this.clusterLoop?.stoppedLeading(),
        clock,
        logger: this.logger,
        metrics,
      },
    );
    const tables = new ClusterTableCache(this.model);
    this.companion = new CompanionHost(
      plugin,
      { ...this.proxierContext(), clusterTable: () => tables.current() },
      this.logger.child({ component: 'companion' }),
    );
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  get informersSynced(): boolean {
    return this.informers.synced;
  }

  /**
   * Creates the node proxier (its failure rejects: the process must exit with the reason), starts
   * heartbeats and informers, and resolves once every informer has listed and the first sync was requested.
   */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`agent already ${this.state}`);
    this.state = 'starting';
    const { plugin, clock } = this.deps;
    if (plugin.scope === 'node' && this.fencing) {
      const datapath = new NodeDatapath(await plugin.create(this.proxierContext()));
      this.fencing.attachDatapath(datapath);
      this.fencing.start();
      this.nodeLoop = new NodeSyncLoop(this.options, {
        model: this.model,
        fencing: this.fencing,
        datapath,
        clock,
        logger: this.logger,
        metrics: this.deps.metrics,
      });
    }
    this.informers.start();
    await this.informers.waitForSync();
    // Our own liveness is known only after our first renewal: deciding before it would compute a table with
    // this node dead and withdraw the egress IPs a restarting gateway still holds.
    if (this.fencing) {
      await Promise.race([this.fencing.firstRenewal, sleepOn(clock, this.options.leaseDurationMs)]);
      this.fencing.beginDeciding();
    }
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.logger.info(this.informers.sizes(), 'informers synced: starting to sync the datapath');
    this.leadership.start();
    this.nodeLoop?.start();
    this.clusterLoop?.start();
    this.companion.start();
  }

  /**
   * Stops: releases leadership, stops informers and loops (waiting for a sync in progress), and leaves the
   * datapath in place. `planned` (SIGTERM) also writes the restart hold; a test that simulates a crash
   * passes false.
   */
  async stop(options: { planned?: boolean } = {}): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.informers.stop();
    await Promise.all([
      this.leadership.stop(),
      this.nodeLoop?.stop(),
      this.clusterLoop?.stop(),
      this.companion.stop(),
    ]);
    await this.fencing?.stop(options.planned ?? true);
    this.client.destroy();
  }

  healthz(): HealthReport {
    const now = this.deps.clock.now();
    const runner = (this.nodeLoop ?? this.clusterLoop)?.runner;
    const lastUpdated = runner?.lastSuccessAt;
    const pendingSince = runner?.pendingSince;
    const stale = pendingSince !== undefined && now - pendingSince > 2 * this.options.syncPeriodMs;
    const companion = this.companion.health();
    const healthy = this.state === 'running' && lastUpdated !== undefined && !stale && companion.healthy;
    return {
      healthy,
      details: {
        ...companion.details,
        lastUpdated: lastUpdated === undefined ? null : new Date(lastUpdated).toISOString(),
        currentTime: new Date(now).toISOString(),
        informersSynced: this.informers.synced,
        ...(pendingSince === undefined ? {} : { oldestPendingChange: new Date(pendingSince).toISOString() }),
      },
    };
  }

  livez(): HealthReport {
    const healthy = this.state === 'starting' || this.state === 'running';
    return {
      healthy,
      details: { state: this.state, currentTime: new Date(this.deps.clock.now()).toISOString() },
    };
  }

  /** This agent's answer to a peer's `/peer/api-status` (a cluster-scope agent hosts nothing: false). */
  async peerApiStatus(): Promise<PeerApiStatus> {
    return this.fencing?.peerApiStatus() ?? { node: this.options.nodeName, apiReachable: false };
  }

  /** Something that can alter a table or a status happened. */
  private changed(): void {
    this.nodeLoop?.request();
    this.clusterLoop?.request();
    this.leadership.statusMayHaveChanged();
  }

  private leaseLiveness(): LeaseLiveness {
    const { options } = this;
    return new LeaseLiveness({
      selfNode: options.nodeName,
      leaseDurationMs: options.leaseDurationMs,
      fenceMarginMs: options.fenceMarginMs,
      viewGraceMs: options.heartbeatIntervalMs,
      selfFencing: options.selfFencing,
      clock: this.deps.clock,
    });
  }

  private fencingController(liveness: LeaseLiveness): FencingController {
    const { options, deps } = this;
    const peerUrl: PeerUrlResolver =
      deps.peerUrl ??
      ((node) => {
        const address = this.model.node(node)?.internalIPs[0];
        return address === undefined ? undefined : peerUrlFromAddress(address, options.peerPort);
      });
    return new FencingController(
      { ...options, node: options.nodeName },
      {
        client: this.client,
        model: this.model,
        liveness,
        peers: new PeerChecker({ timeoutMs: options.heartbeatIntervalMs / 2, resolve: peerUrl }),
        clock: deps.clock,
        metrics: deps.metrics,
        logger: this.logger,
        livenessChanged: () => {
          this.model.livenessChanged();
          this.changed();
        },
        decisionsChanged: () => this.nodeLoop?.request(),
      },
    );
  }

  private informerObserver() {
    return {
      watchRestarted: (resource: string, reason: string) =>
        this.deps.metrics.watchRestarts.inc({ resource, reason }),
      heard: () => this.fencing?.heardFromApi(),
    };
  }

  private proxierContext(): ProxierContext {
    return {
      nodeName: this.options.nodeName,
      exec: this.deps.exec,
      logger: this.deps.logger.child({ backend: this.deps.plugin.name }),
      clock: this.deps.clock,
      options: this.options.pluginOptions,
      kubeConfig: this.deps.kubeConfig,
    };
  }
}
