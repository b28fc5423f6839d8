// The eBPF backend in real `egress-proxier run --backend=ebpf` agents (scripts/demo/live-cluster.mjs, each node
// with a bpffs of its own through the plugin's labNode hook): the steady state, a SIGKILL of the gateway's agent
// (the kernel drops the address by itself, the other gateway claims and SNATs in BPF, the IP moves back after
// the restart) and a restart of the gateway's agent (it adopts its pinned programs: no connection fails), each
// idle and under a CPU hog on every core, held to the same targets as the iptables agents (targets.ts).
import { expect } from 'chai';
import { uniquePrefix } from '@egress-proxier/netlab';
import { DisruptionCluster } from './scenarios/disruption-cluster.js';
import { DEFAULT_SCENARIO_OPTIONS, LOADS, runScenario, SCENARIOS } from './scenarios/index.js';

const SCENARIO_NAMES = ['sigkill-gateway', 'restart-gateway'];

describe('ebpf backend, real agents: failover and restart, idle and under a CPU hog', function () {
  let cluster: DisruptionCluster | undefined;

  before(async function () {
    this.timeout(120_000);
    cluster = await DisruptionCluster.start({ prefix: uniquePrefix('dbpf'), backend: 'ebpf' });
  });

  after(async function () {
    this.timeout(60_000);
    await cluster?.cleanup();
  });

  it('runs the eBPF datapath: our programs attached on every node', async () => {
    if (cluster === undefined) throw new Error('the disruption cluster did not start (see the before hook)');
    for (const node of cluster.live.lab.nodes) {
      const shown = await cluster.live.lab.exec(node.namespace, 'bpftool', ['-j', 'net', 'show']);
      expect(shown.stdout, node.name).to.include('egp_uplink_in');
    }
  });

  for (const name of SCENARIO_NAMES) {
    const scenario = SCENARIOS.find((candidate) => candidate.name === name);
    if (scenario === undefined) throw new Error(`no scenario ${name}`);
    for (const load of LOADS)
      it(`${scenario.title} (${load})`, async function () {
        this.timeout(scenario.timeoutMs(DEFAULT_SCENARIO_OPTIONS) * (load === 'hog' ? 2 : 1));
        if (cluster === undefined)
          throw new Error('the disruption cluster did not start (see the before hook)');
        const record = await runScenario(cluster, scenario, load, DEFAULT_SCENARIO_OPTIONS);
        console.log(`      ${record.summary}`);
        if (record.errors.length > 0) console.log(cluster.live.logTails(6));
        expect(record.misses, `targets missed (errors: ${record.errors.join('; ') || 'none'})`).to.deep.equal(
          [],
        );
      });
  }
});
