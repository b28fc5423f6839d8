// The Kubernetes agent, as a composition: informers feed the EgressModel; a node backend gets the fencing
// controller (heartbeats, liveness, hand-overs, kernel lifetimes) and a node sync loop; a cluster-scope
// backend gets a cluster sync loop that runs on the leader; the leader writes Egress status; a plugin's
// companion runs on every agent. What each part guarantees is said in its own file; docs/failover.md
// gives the timeline.
import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { EgressModel } from '../model/egress-model.js';
import { noNodeGateways } from '../gateway/gateway-assigner.js';
import { sleepOn, type Clock } from '../runner/clock.js';
import type { Exec } from '../exec/exec.js';
import type { ProxierContext, ProxierPlugin } from '../plugin/proxier.js';
import { PreflightFailedError, runPreflight } from '../plugin/preflight.js';
import { KubeClient } from '../kube/kube-client.js';
import type { SlimEgress } from '../kube/slim-convert.js';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import type { HealthReport } from '../observability/http-endpoints.js';
import { ClaimBook } from '../fencing/claim-book.js';
import { FencingController } from '../fencing/fencing-controller.js';
import { leaseLivenessFor } from '../fencing/lease-liveness.js';
import type { PeerApiStatus, PeerUrlResolver } from '../fencing/peer-fencing.js';
import type { AgentOptions } from './agent-options.js';
import { healthz, livez, type AgentState } from './agent-health.js';
import { agentInformers } from './agent-informers.js';
import { BackendConditionStore } from './backend-conditions.js';
import { ClusterSyncLoop } from './cluster-sync-loop.js';
import { ClusterTableCache } from './cluster-table-cache.js';
import { CompanionHost } from './companion-host.js';
import { Informers } from './informers.js';
import { Leadership } from './leadership.js';
import { leaderIdentity } from './leader-identity.js';
import { NodeDatapath } from './node-datapath.js';
import { NodeSyncLoop } from './node-sync-loop.js';
import type { LeaseObject } from '../kube/lease-api.js';
import { PortPressureBook } from '../traffic/port-pressure-book.js';
import { PORT_PRESSURE_ANNOTATION, formatPortPressure } from '../traffic/port-pressure.js';
import { TrafficCollector } from '../traffic/traffic-collector.js';

export interface AgentDependencies {
  kubeConfig: KubeConfig;
  plugin: ProxierPlugin;
  exec: Exec;
  /**
   * Runs the backend's preflight probes; default `exec`. Under `--dry-run`, `exec` skips every command it
   * does not know to be read-only, and a skipped probe would prove nothing: `run` passes the host's here.
   */
  probeExec?: Exec;
  logger: Logger;
  clock: Clock;
  metrics: AgentMetrics;
  /** Where to ask a peer for its API status; default `http://<InternalIP>:<peerPort>` (tests inject). */
  peerUrl?: PeerUrlResolver;
}

export class Agent {
  readonly model: EgressModel;
  private readonly client: KubeClient;
  private readonly logger: Logger;
  private readonly informers: Informers;
  private readonly leadership: Leadership;
  private readonly companion: CompanionHost;
  private readonly fencing: FencingController | undefined;
  private readonly clusterLoop: ClusterSyncLoop | undefined;
  private nodeLoop: NodeSyncLoop | undefined;
  private traffic: TrafficCollector | undefined;
  /** What gateways publish about SNAT port pressure (node backends), for the leader's status. */
  private readonly portPressure = new PortPressureBook();
  private state: AgentState = 'created';
  /** Aborted by `stop`: a start still in its preflight gives up. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly options: AgentOptions,
    private readonly deps: AgentDependencies,
  ) {
    const { plugin, clock, metrics } = deps;
    if (plugin.scope === 'node' && options.nodeName === '')
      throw new Error(`backend ${plugin.name} runs on every node: the node name is required`);
    this.logger = deps.logger.child({ component: 'agent', node: options.nodeName });
    this.client = new KubeClient(deps.kubeConfig);
    const common = { clock, logger: this.logger, metrics };
    const liveness = plugin.scope === 'node' ? leaseLivenessFor(options, clock) : undefined;
    // Who hosts what, as the gateways publish it: filled by the fencing controller, read by the model.
    const book = new ClaimBook();
    const model = (this.model = new EgressModel({
      clusterCIDRs: options.clusterCIDRs,
      capabilities: plugin.capabilities,
      liveness: liveness ?? noNodeGateways,
      incumbency: book,
    }));
    if (liveness)
      this.fencing = new FencingController(
        { ...options, node: options.nodeName },
        {
          ...common,
          client: this.client,
          model,
          liveness,
          book,
          peerUrl: deps.peerUrl,
          gatewayInputsChanged: () => (model.gatewayInputsChanged(), this.changed()),
          decisionsChanged: () => this.nodeLoop?.request(),
          annotations: (current) => this.trafficAnnotations(current),
        },
      );
    const conditions = new BackendConditionStore();
    if (plugin.scope === 'cluster')
      this.clusterLoop = new ClusterSyncLoop(options, {
        ...common,
        plugin,
        context: this.proxierContext(),
        model,
        conditions,
        conditionsChanged: () => this.leadership.statusMayHaveChanged(),
      });
    this.informers = new Informers(
      this.client,
      options,
      agentInformers(options.namespace, model, {
        changed: () => this.changed(),
        statusChanged: () => this.leadership.statusMayHaveChanged(),
        fencing: this.fencing,
        portPressure: this.portPressure,
      }),
      { ...common, answered: () => this.fencing?.apiAnswered() },
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
        gatewayEvents: plugin.scope === 'node',
      },
      {
        ...common,
        client: this.client,
        model,
        egress: (name) => egresses.get(name),
        // A node proxier's report covers one node; only the cluster proxier's (on this leader) counts. Node
        // backends' gateways publish their SNAT port pressure instead.
        backendConditions: (outcome) =>
          plugin.scope === 'cluster'
            ? conditions.conditionsFor(outcome)
            : this.portPressure.conditionsFor(outcome),
        startedLeading: () => this.clusterLoop?.startedLeading(),
        stoppedLeading: () => this.clusterLoop?.stoppedLeading(),
      },
    );
    const tables = new ClusterTableCache(model);
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
   * Runs the backend's preflight (a failed check rejects with PreflightFailedError, before anything else
   * happens), creates the node proxier (a failure rejects: the process exits with the reason), starts
   * heartbeats and informers, and resolves once every informer has listed and the loops run. Nothing is
   * synced before every informer has listed, nor before this node's first renewal said whether it is live
   * (deciding earlier would withdraw the IPs a restarting gateway still holds).
   */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`agent already ${this.state}`);
    this.state = 'starting';
    try {
      await this.startParts();
    } catch (error) {
      if (this.state === 'starting') this.state = 'failed';
      throw error;
    }
  }

  private async startParts(): Promise<void> {
    const { plugin, clock, metrics } = this.deps;
    // Before the first heartbeat: a node whose backend cannot work must not become a gateway candidate.
    await this.preflight();
    if (this.state !== 'starting') return;
    if (plugin.scope === 'node' && this.fencing) {
      const fencing = this.fencing;
      const datapath = new NodeDatapath(await plugin.create(this.proxierContext()), () =>
        fencing.lifetimeNow(),
      );
      this.fencing.attachDatapath(datapath);
      this.fencing.start();
      const { model, logger } = this;
      this.nodeLoop = new NodeSyncLoop(this.options, {
        backend: plugin.name,
        model,
        fencing,
        datapath,
        clock,
        logger,
        metrics,
      });
      if (datapath.countsTraffic && this.options.trafficIntervalMs > 0)
        this.traffic = new TrafficCollector(
          {
            intervalMs: this.options.trafficIntervalMs,
            portPressureThreshold: this.options.portPressureThreshold,
          },
          {
            source: datapath,
            clock,
            metrics,
            logger: this.logger.child({ component: 'traffic' }),
            pressureChanged: () => fencing.publishSoon(),
          },
        );
    }
    this.informers.start();
    await this.informers.waitForSync();
    if (this.fencing) {
      await Promise.race([this.fencing.firstRenewal, sleepOn(clock, this.options.leaseDurationMs)]);
      this.fencing.beginDeciding();
    }
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.logger.info(this.informers.sizes(), 'informers synced: starting to sync the datapath');
    this.leadership.start();
    this.nodeLoop?.start();
    this.traffic?.start();
    this.clusterLoop?.start();
    this.companion.start();
  }

  /**
   * Stops: releases leadership, stops informers and loops (a sync in progress finishes), and leaves the
   * datapath in place. A planned stop (SIGTERM, the default) also writes the restart hold; a test that
   * simulates a crash passes `planned: false`.
   */
  async stop(options: { planned?: boolean } = {}): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.stopping.abort();
    this.informers.stop();
    await Promise.all([
      this.leadership.stop(),
      this.nodeLoop?.stop(),
      this.traffic?.stop(),
      this.clusterLoop?.stop(),
      this.companion.stop(),
    ]);
    await this.fencing?.stop(options.planned ?? true);
    this.client.destroy();
  }

  healthz(): HealthReport {
    return healthz({
      state: this.state,
      runner: (this.nodeLoop ?? this.clusterLoop)?.runner,
      companion: this.companion.health(),
      informersSynced: this.informers.synced,
      now: this.deps.clock.now(),
      syncPeriodMs: this.options.syncPeriodMs,
    });
  }

  livez(): HealthReport {
    return livez(this.state, this.deps.clock.now());
  }

  /** This agent's answer to a peer's `/peer/api-status` (a cluster-scope agent hosts nothing: false). */
  async peerApiStatus(): Promise<PeerApiStatus> {
    return this.fencing?.peerApiStatus() ?? { node: this.options.nodeName, apiReachable: false };
  }

  /**
   * The SNAT port pressure annotation of this node's heartbeat lease: written once there is pressure to tell,
   * and from then on (an empty list clears it), so a lease never carries it for a backend without counters.
   */
  private trafficAnnotations(current: LeaseObject | undefined): Record<string, string> {
    const pressure = this.traffic?.pressure;
    if (pressure === undefined) return {};
    if (pressure.size === 0 && current?.metadata.annotations?.[PORT_PRESSURE_ANNOTATION] === undefined)
      return {};
    return { [PORT_PRESSURE_ANNOTATION]: formatPortPressure(pressure) };
  }

  /** Something that can alter a table or a status happened. */
  private changed(): void {
    this.nodeLoop?.request();
    this.clusterLoop?.request();
    this.leadership.statusMayHaveChanged();
  }

  /** Logs every check, and rejects with the blocking ones when the backend must not start. */
  private async preflight(): Promise<void> {
    const { addressLifetime: _unfenced, ...context } = this.proxierContext();
    const outcome = await runPreflight(
      this.deps.plugin,
      { ...context, exec: this.deps.probeExec ?? this.deps.exec },
      { signal: this.stopping.signal },
    );
    if (!outcome.declared || this.stopping.signal.aborted) return;
    const logger = this.logger.child({ backend: outcome.backend });
    for (const check of outcome.checks) {
      const fields = { check: check.name, detail: check.detail, remedy: check.remedy };
      if (check.ok) logger.debug(fields, `preflight: ${check.name}: ok`);
      else if (check.severity === 'warning') logger.warn(fields, `preflight: ${check.name}: warning`);
      else logger.error(fields, `preflight: ${check.name}: failed`);
    }
    if (!outcome.ok) throw new PreflightFailedError(outcome);
    logger.info({ checks: outcome.checks.length }, 'preflight passed');
  }

  private proxierContext(): ProxierContext {
    const fencing = this.fencing;
    return {
      nodeName: this.options.nodeName,
      exec: this.deps.exec,
      logger: this.deps.logger.child({ backend: this.deps.plugin.name }),
      clock: this.deps.clock,
      options: this.options.pluginOptions,
      kubeConfig: this.deps.kubeConfig,
      // The same figure the NodeDatapath renews with before a sync that adds addresses, computed when
      // called: a backend that adds an address with it never outlasts what peers wait for.
      ...(fencing ? { addressLifetime: () => fencing.lifetimeNow() } : {}),
    };
  }
}
