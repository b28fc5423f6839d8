// The fencing controllers of several agents on one ManualClock, around an in-memory Lease store with an
// ordered watch (test/support/fencing-sim.ts): the hand-over protocol and the restart hold in virtual time,
// sampled every 10 ms for two holders of one IP — independent of how loaded the machine is.
import { expect } from 'chai';
import { rendezvousPick } from '../../src/hashing/rendezvous.js';
import { EGRESS_IP, FencingSim, type SimAgent } from '../support/fencing-sim.js';

const GATEWAYS = ['gw-a', 'gw-b'];
/** The gateway rendezvous hashing picks for the IP when both are live, and the other one. */
const WINNER = rendezvousPick(EGRESS_IP, GATEWAYS) as string;
const RUNNER_UP = GATEWAYS.find((name) => name !== WINNER) as string;

async function cluster(options: { workers?: string[] } = {}): Promise<FencingSim> {
  const sim = new FencingSim(GATEWAYS, options.workers ?? []);
  for (const name of [...GATEWAYS, ...(options.workers ?? [])]) sim.agent(name);
  await Promise.all([...sim.agents.values()].map((agent) => agent.start()));
  await sim.run(3_000);
  return sim;
}

function firstSyncAt(agent: SimAgent, since: number, predicate: (agent: SimAgent, index: number) => boolean) {
  const index = agent.syncs.findIndex((sync, i) => sync.at >= since && predicate(agent, i));
  return index < 0 ? undefined : agent.syncs[index]?.at;
}

describe('FencingController (simulated agents, manual clock)', () => {
  it('gateways starting together: exactly one hosts the IP, never two at once', async () => {
    const sim = await cluster();
    expect(sim.holders()).to.deep.equal([WINNER]);
    expect(sim.overlaps()).to.deep.equal([]);
  });

  it('a source node steers only once its gateway has programmed the IP', async () => {
    const sim = await cluster({ workers: ['worker'] });
    const worker = sim.agents.get('worker') as SimAgent;
    const gateway = sim.agents.get(WINNER) as SimAgent;
    const steeredAt = worker.syncs.find((sync) => worker.ownPodAction(sync.table) === `steer:${WINNER}`)?.at;
    const hostedAt = gateway.syncs.find((sync) => sync.table.hostedEgressIPs.length === 1)?.at;
    expect(steeredAt, 'the worker steers').to.be.a('number');
    expect(hostedAt as number, 'the gateway hosted before').to.be.lessThan(steeredAt as number);
    // Until then its pod's traffic was held (FailClosed: dropped), never left to the node's masquerade.
    const before = worker.syncs.filter((sync) => sync.at < (steeredAt as number));
    expect(before.map((sync) => worker.ownPodAction(sync.table)).filter((a) => a !== undefined)).to.satisfy(
      (actions: string[]) => actions.every((action) => action === 'drop'),
    );
  });

  it('a crashed gateway: another hosts the IP after its lease and the margin, and after its kernel dropped it', async () => {
    const sim = await cluster();
    const crashedAt = sim.clock.monotonic();
    await (sim.agents.get(WINNER) as SimAgent).stop(false);
    await sim.run(6_000);
    const takeover = firstSyncAt(sim.agents.get(RUNNER_UP) as SimAgent, crashedAt, (agent, i) =>
      (agent.syncs[i]?.table.hostedEgressIPs ?? []).some((h) => h.ip === EGRESS_IP),
    );
    expect((takeover as number) - crashedAt, 'crash → takeover (ms)')
      .to.be.greaterThan(2_400)
      .and.at.most(3_600);
    expect(sim.holders()).to.deep.equal([RUNNER_UP]);
    expect(sim.overlaps(), 'two holders (kernel lifetimes included)').to.deep.equal([]);
  });

  it('a planned stop holds the lease: a 10 s restart moves nothing and the new process keeps the IP', async () => {
    const sim = await cluster({ workers: ['worker'] });
    const gateway = sim.agents.get(WINNER) as SimAgent;
    await gateway.stop(true);
    const lease = sim.api.lease(`egress-proxier-node-${WINNER}`);
    expect(lease?.spec?.leaseDurationSeconds, 'the lease carries the restart hold').to.equal(20);
    expect(gateway.lifetimes.at(-1)?.[1], 'the kernel lifetime matches the hold').to.equal(19);
    await sim.run(10_000);
    expect(sim.holders(), 'nobody else took the IP').to.deep.equal([WINNER]);
    const worker = sim.agents.get('worker') as SimAgent;
    expect(worker.ownPodAction(), 'the worker kept steering to it').to.equal(`steer:${WINNER}`);
    const restarted = sim.agent(WINNER);
    await restarted.start();
    await sim.run(100);
    expect(
      restarted.syncs[0]?.table.hostedEgressIPs.map((h) => h.ip),
      'first sync',
    ).to.deep.equal([EGRESS_IP]);
    await sim.run(5_000);
    expect(sim.holders()).to.deep.equal([WINNER]);
    expect(sim.overlaps()).to.deep.equal([]);
    expect(
      worker.syncs.every((sync) => worker.ownPodAction(sync.table) !== 'drop' || sync.at < 3_000),
    ).to.equal(true);
  });

  it('a restart after the lease expired keeps nothing, and does not take the IP back from the interim owner', async () => {
    const sim = await cluster({ workers: ['worker'] });
    await (sim.agents.get(WINNER) as SimAgent).stop(false);
    await sim.run(8_000);
    expect(sim.holders()).to.deep.equal([RUNNER_UP]);
    const worker = sim.agents.get('worker') as SimAgent;
    expect(worker.ownPodAction(), 'the worker follows the IP').to.equal(`steer:${RUNNER_UP}`);
    const restartedAt = sim.clock.monotonic();
    const restarted = sim.agent(WINNER);
    await restarted.start();
    await sim.run(6_000);
    expect(sim.holders(), 'a healthy holder keeps its IP').to.deep.equal([RUNNER_UP]);
    expect(restarted.syncs.every((sync) => sync.table.hostedEgressIPs.length === 0)).to.equal(true);
    const since = worker.syncs.filter((sync) => sync.at >= restartedAt);
    expect(
      since.map((sync) => worker.ownPodAction(sync.table)),
      'no second outage: the worker never held its traffic',
    ).to.satisfy((actions: (string | undefined)[]) => actions.every((a) => a === `steer:${RUNNER_UP}`));
    expect(sim.overlaps(), 'two holders').to.deep.equal([]);
  });

  it('a gateway cut off from the API withdraws, and on its return leaves the IP with the interim owner', async () => {
    const sim = await cluster();
    sim.cut(WINNER);
    await sim.run(6_000);
    expect(sim.holders(), 'fenced and taken over').to.deep.equal([RUNNER_UP]);
    sim.restore(WINNER);
    await sim.run(6_000);
    expect(sim.holders()).to.deep.equal([RUNNER_UP]);
    expect(sim.overlaps(), 'two holders').to.deep.equal([]);
  });

  it('a planned move: the holder loses its gateway label, the IP moves after the drain; the label back moves nothing', async () => {
    const sim = await cluster({ workers: ['worker'] });
    expect(sim.holders()).to.deep.equal([WINNER]);
    const movedAt = sim.clock.monotonic();
    sim.relabel(WINNER, false);
    await sim.run(3_000);
    expect(sim.holders(), 'moved to the other gateway').to.deep.equal([RUNNER_UP]);
    const runnerUp = sim.agents.get(RUNNER_UP) as SimAgent;
    const hostedAt = firstSyncAt(runnerUp, movedAt, (agent, i) =>
      (agent.syncs[i]?.table.hostedEgressIPs ?? []).some((h) => h.ip === EGRESS_IP),
    );
    expect((hostedAt as number) - movedAt, 'label removed → new holder (ms): the drain and a few syncs')
      .to.be.at.least(500)
      .and.at.most(1_500);
    sim.relabel(WINNER, true);
    await sim.run(5_000);
    expect(sim.holders(), 'the returning label moves nothing').to.deep.equal([RUNNER_UP]);
    expect((sim.agents.get('worker') as SimAgent).ownPodAction()).to.equal(`steer:${RUNNER_UP}`);
    expect(sim.overlaps(), 'two holders').to.deep.equal([]);
  });

  it('a peer that saw the holder lapse through lists during a full outage waits after its last "no API"', async () => {
    // etcd down: the watch cache still serves lists, writes and reads fail. The runner-up's relist makes the
    // holder's lease look observed long ago, so it lapses in that view; the holder stays live on its peers'
    // word. The runner-up's API comes back first: it may not take over before the holder heard of it.
    for (let phase = 0; phase < 1_000; phase += 100) {
      const sim = await cluster();
      await sim.run(phase);
      for (const name of GATEWAYS) sim.cut(name);
      // Each list after a silence ages the holder's unchanged lease by a grace period in this view: after two,
      // the silence that follows no longer looks like blindness, and the lease lapses here.
      for (const wait of [2_000, 2_500]) {
        await sim.run(wait);
        (sim.agents.get(RUNNER_UP) as SimAgent).relist();
      }
      await sim.run(3_500);
      expect(sim.holders(), `phase ${phase}: the outage changed nothing`).to.deep.equal([WINNER]);
      sim.restore(RUNNER_UP);
      await sim.run(6_000);
      expect(sim.holders(), `phase ${phase}: the holder, still cut off, fenced`).to.deep.equal([RUNNER_UP]);
      expect(sim.overlaps(), `phase ${phase}: two holders`).to.deep.equal([]);
    }
  });
});

/** A small seeded PRNG (mulberry32), so a failing random run can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('FencingController under random disruptions (simulated agents, manual clock)', function () {
  this.timeout(120_000);
  const NODES = ['gw-a', 'gw-b', 'gw-c'];
  // 100 in CI (~2 s); a regression the simulation found (a fenced node brought back by peers) failed ~3 % of seeds.
  const RUNS = Number(process.env.FENCING_SIM_RUNS ?? 100);

  for (let seed = 1; seed <= RUNS; seed++) {
    it(`seed ${seed}: crashes, restarts, planned stops, API cuts, full outages and recoveries never leave an IP on two nodes`, async () => {
      const rnd = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
      const sim = new FencingSim(NODES, ['worker']);
      // Each agent's watch lags by its own 1–150 ms, so views disagree in every transition.
      const start = async (name: string): Promise<void> => {
        const lag = 1 + Math.floor(rnd() * 150);
        await sim.agent(name).start(1 + Math.floor(rnd() * 50), () => lag);
      };
      await Promise.all([...NODES, 'worker'].map(start));
      const down = new Set<string>();
      const log: string[] = [];
      for (let step = 0; step < 12; step++) {
        await sim.run(200 + Math.floor(rnd() * 4_000));
        const up = NODES.filter((name) => !down.has(name));
        const action = pick(['crash', 'planned', 'cut', 'restore', 'start', 'relist', 'outage', 'isolate']);
        const target = pick(action === 'start' ? [...down] : up);
        if (target === undefined) continue;
        log.push(`${sim.clock.monotonic()} ${action} ${target}`);
        if (action === 'crash' || action === 'planned') {
          await (sim.agents.get(target) as SimAgent).stop(action === 'planned');
          down.add(target);
        } else if (action === 'cut') sim.cut(target);
        else if (action === 'restore') {
          // One node back at a time, in a random order: the recovery race of docs/failover.md.
          for (const name of [...sim.api.cutOff].sort(() => rnd() - 0.5)) {
            sim.restore(name);
            await sim.run(Math.floor(rnd() * 1_500));
          }
        } else if (action === 'outage') for (const name of [...NODES, 'worker']) sim.cut(name);
        else if (action === 'isolate') sim.cut(target, true);
        else if (action === 'relist') (sim.agents.get(target) as SimAgent).relist();
        else {
          down.delete(target);
          await start(target);
        }
      }
      for (const name of [...sim.api.cutOff]) sim.restore(name);
      for (const name of down) await start(name);
      await sim.run(10_000);
      expect(sim.overlaps(), `two holders; steps: ${log.join('; ')}`).to.deep.equal([]);
      expect(sim.holders(), `after everything settled; steps: ${log.join('; ')}`).to.have.length(1);
    });
  }
});
