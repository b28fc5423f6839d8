// What only the leader does: write Egress status (one writer at a time, rate-limited, with a periodic
// check that repairs a status someone else overwrote), record Events for what changed in it and, for
// cluster-scope backends, run the cluster sync loop. Leadership is released on a planned stop so that a
// successor takes over at once.
import type { Logger } from 'pino';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import { LeaderElector, type LeaderElectorOptions } from '../kube/leader-elector.js';
import type { KubeClient } from '../kube/kube-client.js';
import { StatusWriter, type BackendConditionSource } from '../kube/status-writer.js';
import { EgressEventEmitter, agentEventSource } from '../kube/events/egress-event-emitter.js';
import { EventCorrelator } from '../kube/events/event-correlator.js';
import { EventRecorder } from '../kube/events/event-recorder.js';
import type { SlimEgress } from '../kube/slim-convert.js';
import type { EgressModel } from '../model/egress-model.js';
import { BoundedFrequencyRunner } from '../runner/bounded-frequency-runner.js';
import type { Clock } from '../runner/clock.js';

export interface LeadershipOptions {
  election: LeaderElectorOptions;
  statusMinIntervalMs: number;
  syncPeriodMs: number;
  /** False for cluster-scope backends, whose datapath has no gateway nodes to report on. */
  gatewayEvents: boolean;
}

export interface LeadershipDependencies {
  client: KubeClient;
  model: EgressModel;
  /** The Egress as the informer holds it (its current status). */
  egress(name: string): SlimEgress | undefined;
  /** The backend's own conditions for an Egress (cluster-scope backends report them). */
  backendConditions: BackendConditionSource;
  /** Called when this agent starts or stops leading (the cluster sync loop follows leadership). */
  startedLeading?(): void;
  stoppedLeading?(): void;
  clock: Clock;
  logger: Logger;
  metrics: AgentMetrics;
}

export class Leadership {
  private readonly elector: LeaderElector;
  private readonly statusWriter: StatusWriter;
  private readonly events: EventRecorder;
  private readonly eventEmitter: EgressEventEmitter;
  private statusRunner: BoundedFrequencyRunner | undefined;
  private stopped = false;

  constructor(
    private readonly options: LeadershipOptions,
    private readonly deps: LeadershipDependencies,
  ) {
    const { metrics } = deps;
    const eventLogger = deps.logger.child({ component: 'events' });
    this.events = new EventRecorder(
      deps.client,
      new EventCorrelator(agentEventSource(options.election.identity), deps.clock),
      deps.clock,
      eventLogger,
      {
        eventWritten: (ok) => metrics.eventWrites.inc({ result: ok ? 'success' : 'failure' }),
        eventDropped: (reason) => metrics.eventsDropped.inc({ reason }),
      },
    );
    this.eventEmitter = new EgressEventEmitter(
      this.events,
      { ineligibility: (ip, node) => deps.model.gatewayIneligibility(ip, node) },
      { gatewayEvents: options.gatewayEvents },
    );
    this.statusWriter = new StatusWriter(
      deps.client,
      deps.model,
      deps.egress,
      deps.backendConditions,
      deps.clock,
      deps.logger.child({ component: 'status' }),
      {
        statusWritten: (_policy, ok) => metrics.statusWrites.inc({ result: ok ? 'success' : 'failure' }),
        statusComputed: (egress, desired) => {
          // Events are a by-product: nothing about them may stop a status write.
          try {
            this.eventEmitter.observe(egress, desired);
          } catch (error) {
            eventLogger.warn({ err: error, egress: egress.metadata.name }, 'events not derived');
          }
        },
      },
    );
    this.elector = new LeaderElector(
      deps.client,
      options.election,
      { startedLeading: () => this.startedLeading(), stoppedLeading: () => this.stoppedLeading() },
      deps.clock,
      deps.logger.child({ component: 'leader-election' }),
    );
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  start(): void {
    this.elector.start();
  }

  /** A change that may alter some Egress status (only the leader writes). */
  statusMayHaveChanged(): void {
    this.statusRunner?.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.elector.stop(), this.statusRunner?.stop()]);
    await this.events.stop();
  }

  private startedLeading(): void {
    this.deps.metrics.leader.set(1);
    if (this.stopped) return;
    const runner = new BoundedFrequencyRunner(
      async (signal) => {
        try {
          await this.statusWriter.writeChanged(signal);
        } finally {
          this.eventEmitter.retainOnly((name) => this.deps.egress(name) !== undefined);
        }
      },
      {
        name: 'status-writer',
        minIntervalMs: this.options.statusMinIntervalMs,
        maxIntervalMs: Math.max(this.options.syncPeriodMs, this.options.statusMinIntervalMs),
        retryInitialMs: 1_000,
        retryMaxMs: 30_000,
      },
      { clock: this.deps.clock, logger: this.deps.logger },
    );
    this.statusRunner = runner;
    runner.start();
    runner.run();
    this.deps.startedLeading?.();
  }

  private stoppedLeading(): void {
    this.deps.metrics.leader.set(0);
    const runner = this.statusRunner;
    this.statusRunner = undefined;
    void runner?.stop();
    this.eventEmitter.reset();
    this.deps.stoppedLeading?.();
  }
}
