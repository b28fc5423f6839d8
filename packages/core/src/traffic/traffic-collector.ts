// Reads the node backend's traffic counters every interval (never on the sync path: a reading waits for no
// sync and delays none), turns them into the agent's counters and gauges, and judges SNAT port pressure for
// the heartbeat lease. A failed reading is logged and counted, and the next interval tries again; the totals
// are kept, so a counter never goes back.
import type { Logger } from 'pino';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import type { Clock, Timer } from '../runner/clock.js';
import type { TrafficReading } from '../plugin/traffic.js';
import { judgePortPressure, remoteEndpoint, type PortPressureMap } from './port-pressure.js';
import { TrafficTotals } from './traffic-totals.js';

export interface TrafficCollectorOptions {
  intervalMs: number;
  /** The fraction of the port capacity at which an egress IP is under pressure. */
  portPressureThreshold: number;
}

/** What the collector reads from: the node datapath. */
export interface TrafficSource {
  readTraffic(signal: AbortSignal): Promise<TrafficReading>;
  /** Hosted egress IPs with the policies that use each, as the last sync programmed them. */
  readonly hostedEgressIPs: ReadonlyMap<string, readonly string[]>;
}

export interface TrafficCollectorDependencies {
  source: TrafficSource;
  clock: Clock;
  logger: Logger;
  metrics: AgentMetrics;
  /** The set of egress IPs under pressure, or a figure in it, changed: publish it. */
  pressureChanged(pressure: PortPressureMap): void;
}

export class TrafficCollector {
  private readonly totals = new TrafficTotals();
  /** The `egress` label each egress IP's series were written with. */
  private readonly labels = new Map<string, string>();
  private pressureNow: PortPressureMap = new Map();
  private timer: Timer | undefined;
  private running = false;
  private readonly stopping = new AbortController();
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: TrafficCollectorOptions,
    private readonly deps: TrafficCollectorDependencies,
  ) {}

  /** Egress IPs under SNAT port pressure at the last reading. */
  get pressure(): PortPressureMap {
    return this.pressureNow;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.stopping.abort();
    await this.inFlight;
  }

  /** One reading now (also what every interval runs); never throws. */
  collect(): Promise<void> {
    this.inFlight = this.readOnce();
    return this.inFlight;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimeout(() => {
      void this.collect().finally(() => this.schedule());
    }, this.options.intervalMs);
  }

  private async readOnce(): Promise<void> {
    const { source, metrics, clock, logger } = this.deps;
    const started = clock.monotonic();
    let reading: TrafficReading;
    try {
      reading = await source.readTraffic(this.stopping.signal);
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      metrics.trafficReadFailures.inc();
      logger.warn({ err: error }, 'reading the traffic counters failed; retried at the next interval');
      return;
    }
    metrics.trafficReadDuration.observe((clock.monotonic() - started) / 1000);
    this.record(reading);
    this.judge(reading);
  }

  private record(reading: TrafficReading): void {
    const { metrics } = this.deps;
    const hosted = this.deps.source.hostedEgressIPs;
    const { deltas, gone } = this.totals.advance(reading.traffic);
    for (const ip of gone) this.forget(ip);
    for (const delta of deltas) {
      const egress = (hosted.get(delta.egressIP) ?? []).join(',');
      const before = this.labels.get(delta.egressIP);
      if (before !== undefined && before !== egress) this.forget(delta.egressIP);
      this.labels.set(delta.egressIP, egress);
      const labels = { egress_ip: delta.egressIP, egress };
      metrics.egressIPConnections.inc(labels, delta.connections);
      metrics.egressIPBytes.inc(labels, delta.bytes);
    }
    metrics.snatPortCapacity.set(reading.portCapacity);
    metrics.snatPortsBusiest.reset();
    const busiest = new Map<string, number>();
    for (const ip of hosted.keys()) busiest.set(ip, 0);
    for (const use of reading.portUse)
      busiest.set(use.egressIP, Math.max(busiest.get(use.egressIP) ?? 0, use.ports));
    for (const [ip, ports] of busiest) metrics.snatPortsBusiest.set({ egress_ip: ip }, ports);
  }

  private forget(egressIP: string): void {
    const egress = this.labels.get(egressIP);
    if (egress === undefined) return;
    this.deps.metrics.egressIPConnections.remove({ egress_ip: egressIP, egress });
    this.deps.metrics.egressIPBytes.remove({ egress_ip: egressIP, egress });
    this.labels.delete(egressIP);
  }

  private judge(reading: TrafficReading): void {
    const before = this.pressureNow;
    const now = judgePortPressure(
      reading.portUse,
      reading.portCapacity,
      this.options.portPressureThreshold,
      before,
    );
    const same = now.size === before.size && [...now].every(([ip, p]) => before.get(ip) === p);
    if (same) return;
    for (const [ip, p] of now)
      if (!before.has(ip))
        this.deps.logger.warn(
          { egressIP: ip, remote: remoteEndpoint(p), ports: p.ports, capacity: p.capacity },
          'SNAT ports of an egress IP near exhaustion: new connections to this endpoint will soon fail',
        );
    for (const ip of before.keys())
      if (!now.has(ip)) this.deps.logger.info({ egressIP: ip }, 'SNAT port pressure of an egress IP is over');
    this.pressureNow = now;
    this.deps.pressureChanged(now);
  }
}
