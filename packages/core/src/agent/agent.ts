// The Kubernetes agent: informers feed the EgressModel; a BoundedFrequencyRunner turns the model into this
// node's table (or the cluster table, for cluster-scope backends while leading) and hands it to the
// proxier; heartbeat leases drive gateway liveness and fencing; the leader writes Egress status (with the
// conditions its cluster-scope proxier reported). A plugin's companion runs on every agent.
//
// Invariants:
// - Nothing is synced before every informer has listed once (an empty cache is not "no policies").
// - Losing the API server changes nothing by itself: informers keep their caches, the runner re-syncs the
//   same table. The one deliberate exception is self-fencing (docs/failover.md), and it waits while the
//   peers confirm that they cannot reach the API either (peer-confirmed fencing).
// - Stopping (SIGTERM) leaves the datapath and the heartbeat lease as they are, so a restart cuts nothing.
import { leasePath, leasesPath } from '../kube/lease-api.js';
import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { EgressModel } from '../model/egress-model.js';
import { buildNodeEgressTable } from '../table/build-node-table.js';
import { buildClusterEgressTable } from '../table/build-cluster-table.js';
import { BoundedFrequencyRunner } from '../runner/bounded-frequency-runner.js';
import type { Clock } from '../runner/clock.js';
import type { Exec } from '../exec/exec.js';
import {
  SyncFailedError,
  type ClusterProxier,
  type NodeProxier,
  type ProxierContext,
  type ProxierPlugin,
  type SyncReport,
} from '../plugin/proxier.js';
import type { SlimNamespace, SlimNode, SlimPod } from '../cluster/slim-objects.js';
import { KubeApiError, KubeClient } from '../kube/kube-client.js';
import { Reflector, type ReflectorObserver } from '../kube/reflector.js';
import {
  toSlimEgress,
  toSlimLease,
  toSlimNamespace,
  toSlimNode,
  toSlimPod,
  type SlimEgress,
  type SlimLease,
} from '../kube/slim-convert.js';
import { LeaseLiveness, heartbeatLeaseName } from '../kube/lease-liveness.js';
import { HEARTBEAT_LABEL, HeartbeatRenewer } from '../kube/heartbeat-renewer.js';
import { LeaderElector } from '../kube/leader-elector.js';
import { StatusWriter } from '../kube/status-writer.js';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import type { HealthReport } from '../observability/http-endpoints.js';
import { GatewayHandover } from './gateway-handover.js';
import { addressLifetimeSeconds, type AgentOptions } from './agent-options.js';
import { BackendConditionStore } from './backend-conditions.js';
import { ClusterTableCache } from './cluster-table-cache.js';
import { CompanionHost } from './companion-host.js';
import {
  ApiReachability,
  PeerChecker,
  judgePeerAnswers,
  peerUrlFromAddress,
  type PeerAnswer,
  type PeerApiStatus,
  type PeerUrlResolver,
  type PeerVerdict,
} from './peer-fencing.js';

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

/** How often liveness is re-judged: lease expiry is a matter of time passing, not of events. */
const LIVENESS_CHECK_MS = 100;

export class Agent {
  readonly model: EgressModel;
  readonly liveness: LeaseLiveness;
  private readonly client: KubeClient;
  private readonly logger: Logger;
  private state: AgentState = 'created';
  private readonly egresses: Reflector<SlimEgress>;
  private readonly pods: Reflector<SlimPod>;
  private readonly namespaces: Reflector<SlimNamespace>;
  private readonly nodes: Reflector<SlimNode>;
  private readonly leases: Reflector<SlimLease>;
  private readonly heartbeat: HeartbeatRenewer | undefined;
  private readonly elector: LeaderElector;
  private readonly handover: GatewayHandover;
  private readonly statusWriter: StatusWriter;
  private readonly backendConditions = new BackendConditionStore();
  private readonly companion: CompanionHost;
  private readonly runner: BoundedFrequencyRunner;
  private statusRunner: BoundedFrequencyRunner | undefined;
  private nodeProxier: NodeProxier | undefined;
  private clusterProxier: ClusterProxier | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  private liveSignature = '';
  private pendingChangeAt: number | undefined;
  private heartbeatAbort = new AbortController();
  /**
   * Whether this node may be a gateway (Ready or not, it matches some accepted policy's gatewayNodeSelector).
   * Only such nodes renew a heartbeat lease: 5,000 nodes renewing every second would be 5,000 writes/s.
   * It starts true so that a restarting gateway renews at once, before its informers have listed.
   */
  private gatewayCandidate = true;
  private readonly apiReachability: ApiReachability;
  private readonly peerChecker: PeerChecker;
  private peerRound: Promise<void> | undefined;
  private lastPeerRoundAt: number | undefined;
  private lastPeerVerdict: PeerVerdict | undefined;

  constructor(
    private readonly options: AgentOptions,
    private readonly deps: AgentDependencies,
  ) {
    if (deps.plugin.scope === 'node' && options.nodeName === '')
      throw new Error(`backend ${deps.plugin.name} runs on every node: the node name is required`);
    this.logger = deps.logger.child({ component: 'agent', node: options.nodeName });
    this.client = new KubeClient(deps.kubeConfig);
    this.liveness = new LeaseLiveness({
      selfNode: options.nodeName,
      leaseDurationMs: options.leaseDurationMs,
      fenceMarginMs: options.fenceMarginMs,
      viewGraceMs: options.heartbeatIntervalMs,
      // A cluster-scope agent hosts nothing: nothing to fence.
      selfFencing: options.selfFencing && deps.plugin.scope === 'node',
    });
    this.model = new EgressModel({
      clusterCIDRs: options.clusterCIDRs,
      capabilities: deps.plugin.capabilities,
      liveness: this.liveness,
    });
    const interval = options.heartbeatIntervalMs;
    this.apiReachability = new ApiReachability({
      freshMs: interval / 4,
      probeTimeoutMs: interval / 4,
      probe: (timeoutMs) => this.probeApi(timeoutMs),
    });
    this.peerChecker = new PeerChecker({
      timeoutMs: interval / 2,
      resolve:
        deps.peerUrl ??
        ((node) => {
          const address = this.model.node(node)?.internalIPs[0];
          return address === undefined ? undefined : peerUrlFromAddress(address, options.peerPort);
        }),
    });
    const observer: ReflectorObserver = {
      watchRestarted: (resource, reason) => deps.metrics.watchRestarts.inc({ resource, reason }),
      heard: () => this.apiReachability.contact(),
    };
    const reflector = <T>(
      resource: string,
      path: string,
      convert: (o: unknown) => T,
      handlers: {
        upsert(key: string, value: T, previous: T | undefined): void;
        delete(key: string, previous: T): void;
      },
      extra: { labelSelector?: string; watchdogMs?: number } = {},
    ): Reflector<T> =>
      new Reflector<T>(
        this.client,
        {
          resource,
          path,
          convert,
          labelSelector: extra.labelSelector,
          watchdogMs: extra.watchdogMs ?? options.watchdogMs,
          backoffInitialMs: options.watchBackoffInitialMs,
          backoffMaxMs: options.watchBackoffMaxMs,
          listTimeoutMs: options.listTimeoutMs,
        },
        handlers,
        this.logger.child({ informer: resource }),
        observer,
      );

    this.egresses = reflector('egresses', '/apis/egress.proxier.io/v1alpha1/egresses', toSlimEgress, {
      upsert: (_key, egress, previous) => {
        const specChanged =
          !previous ||
          previous.metadata.generation !== egress.metadata.generation ||
          JSON.stringify(previous.spec) !== JSON.stringify(egress.spec);
        // A status-only change (usually our own write) changes no table.
        if (specChanged) {
          this.model.upsertEgress(egress);
          this.changed();
        } else this.statusRunner?.run();
      },
      delete: (_key, egress) => {
        this.model.deleteEgress(egress.metadata.name);
        this.changed();
      },
    });
    this.pods = reflector('pods', '/api/v1/pods', toSlimPod, {
      upsert: (_key, pod) => {
        if (this.model.upsertPod(pod)) this.changed();
      },
      delete: (_key, pod) => {
        if (this.model.deletePod(pod.namespace, pod.name)) this.changed();
      },
    });
    this.namespaces = reflector('namespaces', '/api/v1/namespaces', toSlimNamespace, {
      upsert: (_key, namespace) => {
        if (this.model.upsertNamespace(namespace)) this.changed();
      },
      delete: (_key, namespace) => {
        this.model.deleteNamespace(namespace.name);
        this.changed();
      },
    });
    this.nodes = reflector('nodes', '/api/v1/nodes', toSlimNode, {
      upsert: (_key, node) => {
        if (this.model.upsertNode(node)) this.changed();
      },
      delete: (_key, node) => {
        this.model.deleteNode(node.name);
        this.changed();
      },
    });
    this.leases = reflector(
      'leases',
      leasesPath(options.namespace),
      toSlimLease,
      {
        upsert: (_key, lease) => {
          this.liveness.observe(lease);
          this.checkLiveness();
        },
        delete: (_key, lease) => {
          this.liveness.forget(lease.name);
          this.checkLiveness();
        },
      },
      { labelSelector: `${HEARTBEAT_LABEL}=true`, watchdogMs: options.leaseWatchdogMs },
    );

    if (deps.plugin.scope === 'node') {
      this.heartbeat = new HeartbeatRenewer(
        this.client,
        {
          namespace: options.namespace,
          node: options.nodeName,
          identity: options.nodeName,
          renewIntervalMs: options.heartbeatIntervalMs,
          leaseDurationMs: options.leaseDurationMs,
        },
        {
          renewed: (startedAt) => this.onRenewed(startedAt),
          renewFailed: () => deps.metrics.leaseRenewFailures.inc(),
        },
        this.logger.child({ component: 'heartbeat' }),
      );
    }
    this.elector = new LeaderElector(
      this.client,
      { namespace: options.namespace, identity: options.nodeName || 'cluster', ...options.leaderElection },
      { startedLeading: () => this.startedLeading(), stoppedLeading: () => this.stoppedLeading() },
      this.logger.child({ component: 'leader-election' }),
    );
    this.handover = new GatewayHandover(options.nodeName, this.liveness, options.handoverMarginMs, (ip) =>
      this.recordedOwner(ip),
    );
    this.statusWriter = new StatusWriter(
      this.client,
      this.model,
      (name) => this.egresses.get(name),
      // A node proxier's report covers one node; only the cluster proxier's (on this leader) counts.
      (outcome) => (deps.plugin.scope === 'cluster' ? this.backendConditions.conditionsFor(outcome) : []),
      deps.clock,
      this.logger.child({ component: 'status' }),
      {
        statusWritten: (_policy, ok) => deps.metrics.statusWrites.inc({ result: ok ? 'success' : 'failure' }),
      },
    );
    this.runner = new BoundedFrequencyRunner(
      (signal) => this.sync(signal),
      {
        name: 'sync-proxier',
        minIntervalMs: options.minSyncPeriodMs,
        maxIntervalMs: options.syncPeriodMs,
        retryInitialMs: 1_000,
        retryMaxMs: 30_000,
      },
      { clock: deps.clock, logger: this.logger },
    );
    const tables = new ClusterTableCache(this.model);
    this.companion = new CompanionHost(
      deps.plugin,
      { ...this.proxierContext(), clusterTable: () => tables.current() },
      this.logger.child({ component: 'companion' }),
    );
    this.runner.onRunFinished((outcome) => {
      deps.metrics.syncDuration.observe(outcome.durationMs / 1000);
      if (!outcome.ok) deps.metrics.syncFailures.inc();
    });
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** The last table handed to the node proxier (after hand-over hold-backs). */

  get informersSynced(): boolean {
    return [this.egresses, this.pods, this.namespaces, this.nodes, this.leases].every((r) => r.synced);
  }

  /** Starts everything; resolves once every informer has listed and the first sync was requested. */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`agent already ${this.state}`);
    this.state = 'starting';
    const { plugin } = this.deps;
    if (plugin.scope === 'node') {
      this.nodeProxier = await plugin.create(this.proxierContext());
      this.heartbeat?.start();
    }
    const reflectors = [this.leases, this.nodes, this.namespaces, this.egresses, this.pods];
    for (const r of reflectors) r.start();
    this.livenessTimer = setInterval(() => {
      this.checkPeers();
      this.checkLiveness();
    }, LIVENESS_CHECK_MS);
    await Promise.all(reflectors.map((r) => r.waitForSync()));
    // Our own liveness is known only after our first renewal: syncing before it would compute a table with
    // this node dead and withdraw the egress IPs a restarting gateway still holds.
    if (this.heartbeat) {
      await Promise.race([this.heartbeat.firstAttempt, sleep(this.options.leaseDurationMs)]);
    }
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.logger.info(
      { egresses: this.egresses.size, pods: this.pods.size, nodes: this.nodes.size },
      'informers synced: starting to sync the datapath',
    );
    this.elector.start();
    this.runner.start();
    this.runner.run();
    this.companion.start();
  }

  /**
   * Stops cleanly: releases leadership, stops loops and informers, waits for a sync in progress. Leaves the
   * datapath and the heartbeat lease in place (a restart must not cut traffic or move egress IPs).
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearInterval(this.livenessTimer);
    this.heartbeatAbort.abort();
    for (const r of [this.egresses, this.pods, this.namespaces, this.nodes, this.leases]) r.stop();
    await Promise.all([
      this.heartbeat?.stop(),
      this.elector.stop(),
      this.statusRunner?.stop(),
      this.runner.stop(),
      this.companion.stop(),
    ]);
    this.client.destroy();
  }

  healthz(): HealthReport {
    const now = this.deps.clock.now();
    const lastUpdated = this.runner.lastSuccessAt;
    const pendingSince = this.runner.pendingSince;
    const stale = pendingSince !== undefined && now - pendingSince > 2 * this.options.syncPeriodMs;
    const companion = this.companion.health();
    const healthy = this.state === 'running' && lastUpdated !== undefined && !stale && companion.healthy;
    return {
      healthy,
      details: {
        ...companion.details,
        lastUpdated: lastUpdated === undefined ? null : new Date(lastUpdated).toISOString(),
        currentTime: new Date(now).toISOString(),
        informersSynced: this.informersSynced,
        ...(pendingSince === undefined ? {} : { oldestPendingChange: new Date(pendingSince).toISOString() }),
      },
    };
  }

  /** This agent's answer to a peer's `/peer/api-status`. */
  async peerApiStatus(): Promise<PeerApiStatus> {
    return { node: this.options.nodeName, apiReachable: await this.apiReachability.reachable() };
  }

  livez(): HealthReport {
    const healthy = this.state === 'starting' || this.state === 'running';
    return {
      healthy,
      details: { state: this.state, currentTime: new Date(this.deps.clock.now()).toISOString() },
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

  /** Something that can alter a table or a status happened. */
  private changed(): void {
    const now = this.deps.clock.now();
    this.pendingChangeAt ??= now;
    this.deps.metrics.lastQueuedTimestamp.set(now / 1000);
    this.runner.run();
    this.statusRunner?.run();
  }

  /** Renews the heartbeat lease only while this node may be chosen as a gateway. */
  private followGatewayCandidacy(): void {
    const me = this.model.node(this.options.nodeName);
    const candidate =
      me !== undefined && this.model.acceptedPolicies().some((p) => p.gatewayNodeSelector.matches(me.labels));
    if (candidate === this.gatewayCandidate) return;
    this.gatewayCandidate = candidate;
    this.logger.info(
      { candidate },
      candidate
        ? 'gateway-eligible: renewing the heartbeat lease'
        : 'not gateway-eligible: heartbeat lease left to expire',
    );
    if (candidate) this.heartbeat?.start();
    else void this.heartbeat?.stop();
  }

  private checkLiveness(): void {
    const live = this.liveness.liveNodes(this.liveness.knownNodes());
    const signature = live.join(',');
    this.deps.metrics.peerConfirmedOutage.set(
      this.deps.plugin.scope === 'node' && this.liveness.selfEntitlement() === 'peers' ? 1 : 0,
    );
    this.deps.metrics.selfFenced.set(
      this.deps.plugin.scope === 'node' &&
        this.options.selfFencing &&
        this.gatewayCandidate &&
        !this.liveness.isLive(this.options.nodeName)
        ? 1
        : 0,
    );
    if (signature === this.liveSignature) return;
    this.liveSignature = signature;
    this.deps.metrics.liveGateways.set(live.length);
    this.logger.info({ live }, 'gateway liveness changed');
    this.model.livenessChanged();
    this.changed();
  }

  private get peerFencingActive(): boolean {
    return (
      this.options.peerFencing &&
      this.options.selfFencing &&
      this.deps.plugin.scope === 'node' &&
      this.gatewayCandidate &&
      this.state !== 'stopped'
    );
  }

  /**
   * While this agent's renewals are overdue (none succeeded for 1.5 intervals), asks the peers every interval
   * whether they reach the API. The first round comes at least half an interval after the API was lost, so
   * the peers' own recent contacts (kept fresh for a quarter interval) have aged out.
   */
  private checkPeers(): void {
    if (!this.peerFencingActive || this.peerRound) return;
    const lastRenewal = this.liveness.lastSelfRenewal;
    if (lastRenewal === undefined) return;
    const now = performance.now();
    const interval = this.options.heartbeatIntervalMs;
    if (now - lastRenewal < 1.5 * interval) return;
    if (this.lastPeerRoundAt !== undefined && now - this.lastPeerRoundAt < interval) return;
    this.lastPeerRoundAt = now;
    const peers = this.liveness
      .knownNodes()
      .filter((node) => node !== this.options.nodeName)
      .map((node) => ({ node, live: this.liveness.isLive(node) }));
    this.peerRound = this.peerChecker
      .round(peers)
      .then((answers) => this.peerRoundDone(now, answers))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'peer check failed'))
      .finally(() => (this.peerRound = undefined));
  }

  private async peerRoundDone(startedAt: number, answers: PeerAnswer[]): Promise<void> {
    if (this.state === 'stopped') return;
    const verdict = judgePeerAnswers(answers);
    // A peer reaching the API may mean it came back for everyone, this agent included (recovery is never
    // simultaneous): try one quick renewal before giving up the confirmation. A quarter interval keeps the
    // withdrawal well ahead of any takeover (docs/failover.md, recovery race).
    const renewed =
      verdict === 'cut_off' &&
      (await this.heartbeat?.renewNow(this.options.heartbeatIntervalMs / 4)) === true;
    this.deps.metrics.peerChecks.inc({ outcome: renewed ? 'renewed' : verdict });
    if (renewed) {
      this.checkLiveness();
      return;
    }
    if (verdict !== this.lastPeerVerdict) {
      this.lastPeerVerdict = verdict;
      this.logger.warn(
        { verdict, answers: answers.map((a) => ({ node: a.node, live: a.live, status: a.status ?? null })) },
        verdict === 'full_outage'
          ? 'heartbeat not renewed, but no peer reaches the API either: keeping the egress IPs'
          : 'heartbeat not renewed and no full outage confirmed by the peers: fencing on the renewal deadline',
      );
    }
    const interval = this.options.heartbeatIntervalMs;
    // Valid until the next round (one interval later) has had its timeout to answer, plus a tick of slack.
    this.liveness.peerConfirmed(
      verdict === 'full_outage' ? startedAt + interval + interval / 2 + interval / 4 : undefined,
    );
    if (verdict === 'full_outage') this.extendAddressLifetime();
    this.checkLiveness();
  }

  /** One API request (a GET of our heartbeat lease): any answer of the server counts as reaching it. */
  private async probeApi(timeoutMs: number): Promise<void> {
    const lease = heartbeatLeaseName(this.options.nodeName || 'cluster');
    try {
      await this.client.request({
        method: 'GET',
        path: leasePath(this.options.namespace, lease),
        timeoutMs,
      });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode < 500)) throw error;
    }
  }

  /** Renews the kernel lifetime of hosted egress IPs while this node may act as a gateway. */
  private extendAddressLifetime(): void {
    const proxier = this.nodeProxier;
    if (proxier?.heartbeat && this.liveness.isLive(this.options.nodeName)) {
      proxier
        .heartbeat(addressLifetimeSeconds(this.options), this.heartbeatAbort.signal)
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'backend heartbeat failed');
        });
    }
  }

  private onRenewed(startedAt: number): void {
    this.apiReachability.contact();
    this.lastPeerVerdict = undefined;
    const wasLive = this.liveness.isLive(this.options.nodeName);
    this.liveness.selfRenewed(startedAt);
    this.deps.metrics.lastHeartbeatTimestamp.set(this.deps.clock.now() / 1000);
    if (!wasLive) this.checkLiveness();
    this.extendAddressLifetime();
  }

  private recordedOwner(egressIP: string): string | undefined {
    for (const egress of this.egresses.values()) {
      const assignments = (egress.status as { assignments?: { egressIP?: string; node?: string }[] })
        .assignments;
      const found = assignments?.find((a) => a.egressIP === egressIP)?.node;
      if (found) return found;
    }
    return undefined;
  }

  private async sync(signal: AbortSignal): Promise<void> {
    const changeAt = this.pendingChangeAt;
    this.pendingChangeAt = undefined;
    try {
      const report = await this.syncProxier(signal);
      const now = this.deps.clock.now();
      this.deps.metrics.lastSyncTimestamp.set(now / 1000);
      if (changeAt !== undefined) this.deps.metrics.programmingLatency.observe((now - changeAt) / 1000);
      if (report) this.logger.debug({ changed: report.changed, counts: report.counts }, 'synced');
    } catch (error) {
      this.pendingChangeAt = Math.min(changeAt ?? Infinity, this.pendingChangeAt ?? Infinity);
      throw error;
    }
  }

  private async syncProxier(signal: AbortSignal): Promise<SyncReport | undefined> {
    const { metrics } = this.deps;
    const outcomesAccepted = this.model.acceptedPolicies().length;
    metrics.acceptedPolicies.set({ accepted: 'true' }, outcomesAccepted);
    metrics.acceptedPolicies.set({ accepted: 'false' }, this.model.policyNames().length - outcomesAccepted);
    if (this.deps.plugin.scope === 'cluster') {
      const proxier = this.clusterProxier;
      if (!proxier) return undefined;
      const table = buildClusterEgressTable(this.model);
      metrics.tablePolicies.set(table.policies.length);
      const names = table.policies.map((p) => p.name);
      // Leadership may have moved while the sync ran: the next leader's proxier reports for itself.
      const recordConditions = (report: SyncReport): void => {
        if (this.clusterProxier === proxier && this.backendConditions.record(names, report))
          this.statusRunner?.run();
      };
      try {
        const report = await proxier.sync(table, signal);
        recordConditions(report);
        return report;
      } catch (error) {
        if (error instanceof SyncFailedError) {
          recordConditions({ changed: false, policyConditions: error.policyConditions });
        }
        throw error;
      }
    }
    const proxier = this.nodeProxier as NodeProxier;
    this.followGatewayCandidacy();
    const built = buildNodeEgressTable(this.model, this.options.nodeName);
    const handover = this.handover.apply(this.model, built);
    metrics.gatewayMoves.inc(handover.moves);
    metrics.heldBackClaims.inc(handover.newlyHeld);
    if (handover.nextReleaseAt !== undefined) {
      // Come back when the earliest held IP may be claimed.
      this.runner.retryAfter(Math.max(0, handover.nextReleaseAt - performance.now()));
    }
    const table = handover.table;
    metrics.tablePolicies.set(new Set(table.rules.map((r) => r.policy)).size);
    metrics.tableSourceIPs.set(table.sourceSets.reduce((n, s) => n + s.addresses.length, 0));
    metrics.hostedEgressIPs.set(table.hostedEgressIPs.length);
    metrics.tableRules.set(table.rules.length);
    const report = await proxier.sync(table, signal);
    return report;
  }

  private startedLeading(): void {
    this.deps.metrics.leader.set(1);
    if (this.state === 'stopped') return;
    this.backendConditions.clear();
    const runner = new BoundedFrequencyRunner(
      async (signal) => {
        await this.statusWriter.writeChanged(signal);
      },
      {
        name: 'status-writer',
        minIntervalMs: this.options.statusMinIntervalMs,
        // A periodic check repairs a status someone else overwrote.
        maxIntervalMs: Math.max(this.options.syncPeriodMs, this.options.statusMinIntervalMs),
        retryInitialMs: 1_000,
        retryMaxMs: 30_000,
      },
      { clock: this.deps.clock, logger: this.logger },
    );
    this.statusRunner = runner;
    runner.start();
    runner.run();
    const { plugin } = this.deps;
    if (plugin.scope === 'cluster') {
      void Promise.resolve(plugin.create(this.proxierContext())).then(
        (proxier) => {
          if (!this.elector.isLeader || this.state === 'stopped') return;
          this.clusterProxier = proxier;
          this.runner.run();
        },
        (error: unknown) => this.logger.error({ err: error }, 'could not create the cluster-scope proxier'),
      );
    }
  }

  private stoppedLeading(): void {
    this.deps.metrics.leader.set(0);
    const runner = this.statusRunner;
    this.statusRunner = undefined;
    void runner?.stop();
    // A cluster-scope backend runs only under leadership: the next leader takes over the datapath.
    this.clusterProxier = undefined;
    this.backendConditions.clear();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
