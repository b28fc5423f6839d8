// Several fencing controllers on one ManualClock, around an in-memory Lease store that acts like the API
// server where it matters here: resourceVersion-checked writes (409 on a stale one), one global order of
// writes, and a watch that delivers every write to every agent in that order after a per-agent delay. Each
// simulated agent has its own EgressModel and liveness view; its "datapath" records what it programs, and a
// sync (the node sync loop's part) runs whenever its controller asks for one. `hosts()` samples who holds an
// IP, to assert that two nodes never do. Each agent runs its own NodeSyncLoop (the runner with its minimum sync
// period and burst) and NodeDatapath on the manual clock, as the real agent composes them.
import pino from 'pino';
import { EgressModel } from '../../src/model/egress-model.js';
import { AgentMetrics } from '../../src/observability/agent-metrics.js';
import { FencingController, type FencingOptions } from '../../src/fencing/fencing-controller.js';
import { ClaimBook } from '../../src/fencing/claim-book.js';
import { LeaseLiveness } from '../../src/fencing/lease-liveness.js';
import { NodeDatapath } from '../../src/agent/node-datapath.js';
import { NodeSyncLoop } from '../../src/agent/node-sync-loop.js';
import { KubeApiError, type KubeRequest } from '../../src/kube/kube-client.js';
import type { LeaseObject } from '../../src/kube/lease-api.js';
import { toSlimLease } from '../../src/kube/slim-convert.js';
import type { NodeEgressTable } from '../../src/table/node-egress-table.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import type { PeerAnswer } from '../../src/fencing/peer-fencing.js';
import { egress, node, pod } from './builders.js';

const silent = pino({ level: 'silent' });

type Listener = (lease: LeaseObject) => void;

/** Leases as an API server keeps them, with every write delivered to subscribers in one order. */
export class FakeLeaseApi {
  private readonly leases = new Map<string, LeaseObject>();
  private readonly listeners = new Map<
    string,
    { delayMs: () => number; listener: Listener; lastDeliveryAt: number }
  >();
  private version = 0;
  /** Agents whose requests fail (cut off from the API). */
  readonly cutOff = new Set<string>();
  /** Latency of every request. */
  requestLatencyMs = 5;

  constructor(private readonly clock: ManualClock) {}

  /** Every write reaches `listener` after `delayMs()`, but never before an earlier write (a watch's order). */
  subscribe(agent: string, listener: Listener, delayMs: () => number = () => 5): void {
    this.listeners.set(agent, { delayMs, listener, lastDeliveryAt: 0 });
  }

  unsubscribe(agent: string): void {
    this.listeners.delete(agent);
  }

  lease(name: string): LeaseObject | undefined {
    return this.leases.get(name);
  }

  /** Every current lease, as a list call returns them. */
  list(): LeaseObject[] {
    return [...this.leases.values()];
  }

  /** The client an agent uses. */
  clientFor(agent: string): { request<T>(request: KubeRequest): Promise<T> } {
    return {
      request: <T>(request: KubeRequest): Promise<T> =>
        new Promise<T>((resolve, reject) => {
          this.clock.setTimeout(() => {
            if (this.cutOff.has(agent)) return reject(new Error(`${agent} is cut off from the API`));
            try {
              resolve(this.handle(request) as T);
            } catch (error) {
              reject(error);
            }
          }, this.requestLatencyMs);
        }),
    };
  }

  private handle(request: KubeRequest): LeaseObject {
    const name = request.path.split('/').pop() ?? '';
    if (request.method === 'GET') {
      const lease = this.leases.get(name);
      if (!lease) throw new KubeApiError(404, 'NotFound', `lease ${name} not found`);
      return structuredClone(lease);
    }
    const body = structuredClone(request.body) as LeaseObject;
    const key = request.method === 'POST' ? body.metadata.name : name;
    const current = this.leases.get(key);
    if (request.method === 'POST' && current) throw new KubeApiError(409, 'AlreadyExists', 'exists');
    if (request.method === 'PUT' && current?.metadata.resourceVersion !== body.metadata.resourceVersion)
      throw new KubeApiError(409, 'Conflict', 'stale resourceVersion');
    body.metadata.resourceVersion = String(++this.version);
    this.leases.set(key, body);
    const written = structuredClone(body);
    for (const [agent, subscriber] of this.listeners) {
      const delivered = structuredClone(written);
      const now = this.clock.monotonic();
      const at = Math.max(subscriber.lastDeliveryAt, now + subscriber.delayMs());
      subscriber.lastDeliveryAt = at;
      // A cut-off agent's watch is broken: it misses the event (it relists when it is back).
      this.clock.setTimeout(() => {
        if (!this.cutOff.has(agent)) subscriber.listener(delivered);
      }, at - now);
    }
    return structuredClone(written);
  }
}

export const EGRESS_IP = '192.0.2.10';

/**
 * A node's egress addresses as its kernel holds them: a sync programs them (new ones with the lifetime of
 * the last renewal), a renewal extends them, and an address not renewed is gone after its lifetime plus
 * the 1 s the kernel may be late. It outlives the agent process, as a real kernel does.
 */
export class NodeKernel {
  private readonly expiry = new Map<string, number>();
  private lifetimeSeconds = 60;

  program(ips: readonly string[], now: number): void {
    for (const ip of [...this.expiry.keys()]) if (!ips.includes(ip)) this.expiry.delete(ip);
    for (const ip of ips)
      if (!this.expiry.has(ip) || (this.expiry.get(ip) as number) <= now)
        this.expiry.set(ip, now + this.lifetimeSeconds * 1000 + 1000);
  }

  renew(seconds: number, now: number): void {
    this.lifetimeSeconds = seconds;
    for (const [ip, until] of this.expiry) if (until > now) this.expiry.set(ip, now + seconds * 1000 + 1000);
  }

  held(now: number): string[] {
    return [...this.expiry].filter(([, until]) => until > now).map(([ip]) => ip);
  }
}

export const SIM_OPTIONS: Omit<FencingOptions, 'node'> = {
  namespace: 'egress-proxier',
  heartbeatIntervalMs: 1_000,
  leaseDurationMs: 3_000,
  fenceMarginMs: 1_000,
  handoverMarginMs: 250,
  drainMs: 500,
  selfFencing: true,
  peerFencing: true,
  restartHoldMs: 20_000,
  peerPort: 10266,
};

/** One agent: model, liveness, controller, a recording datapath and the sync that follows decisions. */
export class SimAgent {
  readonly model: EgressModel;
  readonly liveness: LeaseLiveness;
  /** What every gateway published, as this agent's lease watch delivered it (the model's incumbency). */
  readonly book = new ClaimBook();
  readonly fencing: FencingController;
  /** Every table synced, with the clock's monotonic time. */
  readonly syncs: { at: number; table: NodeEgressTable }[] = [];
  /** Kernel-lifetime renewals: [monotonic time, seconds]. */
  readonly lifetimes: [number, number][] = [];
  readonly podIP: string;
  private readonly datapath: NodeKernel;
  /** The agent's own node sync loop (runner with min sync period 1 s and its burst), on the manual clock. */
  private readonly loop: NodeSyncLoop;
  private stopped = false;
  /** The node sync loop starts only once the agent decides (Agent.start). */
  private deciding = false;

  constructor(
    readonly name: string,
    private readonly sim: FencingSim,
    options: Partial<FencingOptions> = {},
  ) {
    const { clock, api } = sim;
    const metrics = new AgentMetrics();
    this.podIP = `10.244.${[...sim.gateways, ...sim.workers].indexOf(name) + 1}.2`;
    this.liveness = new LeaseLiveness({
      selfNode: name,
      leaseDurationMs: 3_000,
      fenceMarginMs: 1_000,
      viewGraceMs: 1_000,
      selfFencing: options.selfFencing ?? true,
      clock,
    });
    this.model = new EgressModel({
      clusterCIDRs: ['10.244.0.0/16'],
      liveness: this.liveness,
      incumbency: this.book,
    });
    for (const [index, peer] of [...sim.gateways, ...sim.workers].entries()) {
      this.model.upsertNode(simNode(sim, peer, sim.gateways.includes(peer)));
      this.model.upsertPod(pod('ns', `pod-${peer}`, { nodeName: peer, podIPs: [`10.244.${index + 1}.2`] }));
    }
    this.model.upsertEgress(egress('e', { podSelector: {}, egressIPs: [EGRESS_IP] }));
    this.fencing = new FencingController(
      { ...SIM_OPTIONS, ...options, node: name },
      {
        client: api.clientFor(name) as never,
        model: this.model,
        liveness: this.liveness,
        peerAsker: { round: (peers) => sim.askPeers(name, peers) },
        clock,
        metrics,
        logger: silent,
        book: this.book,
        gatewayInputsChanged: () => {
          this.model.gatewayInputsChanged();
          this.requestSync();
        },
        decisionsChanged: () => this.requestSync(),
      },
    );
    const kernel = sim.kernel(name);
    const datapath = new NodeDatapath(
      {
        sync: async (table) => {
          this.syncs.push({ at: clock.monotonic(), table });
          kernel.program(
            table.hostedEgressIPs.map((hosted) => hosted.ip),
            clock.monotonic(),
          );
          return { changed: true };
        },
        heartbeat: async (seconds) => {
          this.lifetimes.push([clock.monotonic(), seconds]);
          kernel.renew(seconds, clock.monotonic());
        },
        cleanup: async () => undefined,
      },
      () => this.fencing.lifetimeNow(),
    );
    this.fencing.attachDatapath(datapath);
    this.datapath = kernel;
    this.loop = new NodeSyncLoop(
      { nodeName: name, minSyncPeriodMs: 1_000, syncPeriodMs: 30_000 },
      { backend: 'sim', model: this.model, fencing: this.fencing, datapath, clock, logger: silent, metrics },
    );
  }

  /** Starts as the agent does: list the leases, renew, decide once informers have listed. */
  async start(listDelayMs = 5, watchDelayMs: () => number = () => 5): Promise<void> {
    const { api, clock } = this.sim;
    api.subscribe(
      this.name,
      (lease) => {
        if (!this.stopped) this.fencing.observeLease(toSlimLease(lease), true);
      },
      watchDelayMs,
    );
    this.fencing.start();
    await clock.advanceAsync(listDelayMs);
    for (const lease of api.list()) this.fencing.observeLease(toSlimLease(lease), false);
    // As Agent.start: decide only once the first renewal has said whether this node is live.
    let renewed = false;
    void this.fencing.firstRenewal.then(() => (renewed = true));
    while (!renewed) await clock.advanceAsync(5);
    this.fencing.beginDeciding();
    this.deciding = true;
    this.loop.start();
  }

  /** A relist (after an expired watch): every lease as it is now, without a known order. */
  relist(): void {
    for (const lease of this.sim.api.list()) this.fencing.observeLease(toSlimLease(lease), false);
  }

  async stop(planned: boolean): Promise<void> {
    // As Agent.stop: the loop first (a sync in progress finishes), then fencing (the restart hold). Time
    // passes meanwhile, as it would: a peer round in flight ends only by its timeout.
    this.stopped = true;
    let done = false;
    const stopping = this.loop.stop().then(() => this.fencing.stop(planned));
    void stopping.finally(() => (done = true));
    while (!done) await this.sim.clock.advanceAsync(10);
    await stopping;
    this.sim.api.unsubscribe(this.name);
  }

  /** What this node's kernel holds now (it outlives a crashed or stopped agent until lifetimes run out). */
  get isStopped(): boolean {
    return this.stopped;
  }

  hosted(): string[] {
    return this.datapath.held(this.sim.clock.monotonic());
  }

  /** The action this node's last table takes for its own pod's traffic: snat, steer:<node>, drop… */
  ownPodAction(table = this.syncs.at(-1)?.table): string | undefined {
    const set = table?.sourceSets.find((candidate) => candidate.addresses.includes(this.podIP));
    const rule = table?.rules.find((candidate) => candidate.sourceSet === set?.id);
    if (rule === undefined) return undefined;
    return rule.action.kind === 'steer' ? `steer:${rule.action.gateway.node}` : rule.action.kind;
  }

  requestSync(): void {
    if (!this.stopped && this.deciding) this.loop.request();
  }

  /** The node informer delivered `peer` with or without the gateway label. */
  relabel(peer: string, gateway: boolean): void {
    this.model.upsertNode(simNode(this.sim, peer, gateway));
    this.requestSync();
  }
}

function simNode(sim: FencingSim, peer: string, gateway: boolean) {
  const index = [...sim.gateways, ...sim.workers].indexOf(peer);
  const labels: Record<string, string> = gateway ? { 'egress.proxier.io/gateway': 'true' } : {};
  return node(peer, `198.51.100.${index + 1}`, { labels });
}

export class FencingSim {
  readonly clock = new ManualClock(Date.UTC(2026, 0, 1));
  readonly api = new FakeLeaseApi(this.clock);
  readonly agents = new Map<string, SimAgent>();
  private readonly kernels = new Map<string, NodeKernel>();
  /** Every 10 ms of simulated time: who hosts the egress IP. */
  readonly holderSamples: { at: number; holders: string[] }[] = [];

  constructor(
    readonly gateways: readonly string[],
    /** Nodes that are never gateways (their pods are steered). */
    readonly workers: readonly string[] = [],
  ) {}

  agent(name: string, options: Partial<FencingOptions> = {}): SimAgent {
    const agent = new SimAgent(name, this, options);
    this.agents.set(name, agent);
    return agent;
  }

  /** One kernel per node, kept across agent restarts. */
  kernel(node: string): NodeKernel {
    let kernel = this.kernels.get(node);
    if (!kernel) this.kernels.set(node, (kernel = new NodeKernel()));
    return kernel;
  }

  holders(): string[] {
    const now = this.clock.monotonic();
    return [...this.kernels].filter(([, kernel]) => kernel.held(now).includes(EGRESS_IP)).map(([n]) => n);
  }

  /** Lets time pass in 10 ms steps, sampling the holders at each. */
  async run(ms: number): Promise<void> {
    for (let passed = 0; passed < ms; passed += 10) {
      await this.clock.advanceAsync(10);
      this.holderSamples.push({ at: this.clock.monotonic(), holders: this.holders() });
    }
  }

  /** A gateway label added or removed: every agent's node informer sees it (here at once). */
  relabel(peer: string, gateway: boolean): void {
    for (const agent of this.agents.values()) agent.relabel(peer, gateway);
  }

  async settle(): Promise<void> {
    await this.clock.advanceAsync(0);
  }

  /**
   * A peer round as the agents' health servers answer it: each running agent answers after a few ms what its
   * fencing controller says (it probes the API, which answers or not); a stopped one never answers, and the
   * asker gives up after half an interval.
   */
  async askPeers(asker: string, peers: readonly { node: string; live: boolean }[]): Promise<PeerAnswer[]> {
    return Promise.all(
      peers.map(
        (peer) =>
          new Promise<PeerAnswer>((resolve) => {
            const timeout = this.clock.setTimeout(() => resolve({ ...peer, status: undefined }), 500);
            const target = this.agents.get(peer.node);
            if (target === undefined || target.isStopped || this.peersCutOff.has(asker)) return;
            this.clock.setTimeout(() => {
              void target.fencing.peerApiStatus().then((status) => {
                timeout.cancel();
                resolve({ ...peer, status });
              });
            }, 5);
          }),
      ),
    );
  }

  /** Agents whose peer requests reach nobody (cut off from the other nodes too). */
  readonly peersCutOff = new Set<string>();

  /** Cuts an agent off the API (and, `fromPeers`, from the other agents). */
  cut(name: string, fromPeers = false): void {
    this.api.cutOff.add(name);
    if (fromPeers) this.peersCutOff.add(name);
  }

  /** Brings it back: its watch is re-established with a relist, as a reflector does. */
  restore(name: string): void {
    this.api.cutOff.delete(name);
    this.peersCutOff.delete(name);
    this.agents.get(name)?.relist();
  }

  /** Samples in which more than one agent hosted the egress IP. */
  overlaps(): { at: number; holders: string[] }[] {
    return this.holderSamples.filter((sample) => sample.holders.length > 1);
  }
}
