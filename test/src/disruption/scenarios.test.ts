// The disruption scenarios of issue 9 (scenarios/), each run once idle and once under a CPU hog on every core,
// against real `egress-proxier run --backend=iptables` agents with default flags. Two pods open a new TCP
// connection every 50 ms: one on node-1 (never a gateway: always steered) and one on the gateway node (SNATed
// locally). Each test prints one summary line with its figures and fails on any target of its scenario
// (targets.ts: bounds from docs/failover.md's timeline). `npm run soak` runs the same scenarios N times.
//
// EGRESS_RESTART_DELAY_MS / EGRESS_API_HANG_MS change the restart delay and the hang (default 10 s each).
import { expect } from 'chai';
import { uniquePrefix } from '@egress-proxier/netlab';
import { DisruptionCluster } from './scenarios/disruption-cluster.js';
import { DEFAULT_SCENARIO_OPTIONS, LOADS, runScenario, SCENARIOS } from './scenarios/index.js';
import type { ScenarioOptions } from './scenarios/scenario.js';

function msFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a number of milliseconds, not "${text}"`);
  return value;
}

const options: ScenarioOptions = {
  restartDelayMs: msFromEnv('EGRESS_RESTART_DELAY_MS', DEFAULT_SCENARIO_OPTIONS.restartDelayMs),
  apiHangMs: msFromEnv('EGRESS_API_HANG_MS', DEFAULT_SCENARIO_OPTIONS.apiHangMs),
};

describe('iptables backend, real agents: disruption scenarios, idle and under a CPU hog', function () {
  let cluster: DisruptionCluster | undefined;

  before(async function () {
    this.timeout(120_000);
    cluster = await DisruptionCluster.start({ prefix: uniquePrefix('dscn') });
  });

  after(async function () {
    this.timeout(60_000);
    await cluster?.cleanup();
  });

  for (const scenario of SCENARIOS)
    for (const load of LOADS)
      it(`${scenario.title} (${load})`, async function () {
        this.timeout(scenario.timeoutMs(options) * (load === 'hog' ? 2 : 1));
        if (cluster === undefined)
          throw new Error('the disruption cluster did not start (see the before hook)');
        const record = await runScenario(cluster, scenario, load, options);
        console.log(`      ${record.summary}`);
        if (record.errors.length > 0) console.log(cluster.live.logTails(6));
        expect(record.misses, `targets missed (errors: ${record.errors.join('; ') || 'none'})`).to.deep.equal(
          [],
        );
      });
});
