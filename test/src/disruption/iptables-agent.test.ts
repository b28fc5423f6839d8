// Drift repair of real `egress-proxier run --backend=iptables` agents (scripts/demo/live-cluster.mjs: a netns
// lab, the in-memory API server over HTTPS, one agent process per node) while a pod on a non-gateway node
// opens a new TCP connection to the external server every 50 ms. It needs a short --sync-period, so it has its
// own cluster; the disruptions that must hold with default flags (apply, delete, failover, restarts, API hangs)
// are the scenarios of scenarios.test.ts. docs/backend-iptables.md ("Disruption tests and measured figures")
// records the figures.
import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assertLabPrerequisites, runIn, uniquePrefix, type LabPod } from '@egress-proxier/netlab';
import type * as LiveClusterModule from '../../../scripts/demo/live-cluster.mjs';
import type { ConnectionAttempt, LiveCluster } from '../../../scripts/demo/live-cluster.mjs';
import { badTimeline, outageSince } from './connection-outcomes.js';
import { flushChains, ourChains, ourRuleCount } from './our-chains.js';
import { cleanupOnSignal } from './signal-cleanup.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EGRESS_IP = '192.0.2.100';
const EXTERNAL = '203.0.113.10';
/** Short, so drift repair is measurable within the test; the default is 30 s. */
const SYNC_PERIOD_MS = 2_000;
const LOOP_INTERVAL_MS = 50;
/** Short, so the traffic metrics follow the connections within the test; the default is 15 s. */
const TRAFFIC_INTERVAL_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

describe('iptables backend, real agents: drift repair with a connection loop running', function () {
  this.timeout(40_000);
  let live: LiveCluster | undefined;
  let uninstallSignalCleanup = (): void => undefined;
  let waitFor: (typeof LiveClusterModule)['waitFor'];

  function cluster(): LiveCluster {
    if (live === undefined) throw new Error('the live cluster did not start (see the before hook)');
    return live;
  }

  /** The client: pod-1-1 on node-1, which is not gateway-eligible, so its traffic is always steered. */
  function client(): LabPod {
    return cluster().lab.pod(1, 1);
  }

  async function soleHolder(): Promise<string> {
    const holders = await cluster().holders(EGRESS_IP);
    expect(holders, `nodes holding ${EGRESS_IP}`).to.have.length(1);
    return holders[0] ?? '';
  }

  async function waitUntilEgressWorks(what: string): Promise<void> {
    await waitFor(
      what,
      async () => (await cluster().lab.connectFrom(client(), EXTERNAL, undefined, 1000)) === EGRESS_IP,
      20_000,
      100,
    );
  }

  /**
   * Runs `disrupt` while the client's connection loop runs (from 500 ms before it), and returns its result with
   * every attempt. The loop is stopped also when `disrupt` throws.
   */
  async function duringConnectionLoop<T>(
    disrupt: () => Promise<T>,
  ): Promise<{ result: T; attempts: ConnectionAttempt[] }> {
    const loop = await cluster().startConnectionLoop(client(), {
      ip: EXTERNAL,
      intervalMs: LOOP_INTERVAL_MS,
    });
    try {
      await sleep(500);
      const result = await disrupt();
      return { result, attempts: await loop.stop() };
    } catch (error) {
      await loop.stop();
      throw error;
    }
  }

  async function waitUntilHealthy(node: string): Promise<void> {
    await waitFor(`the agent on ${node} to report healthy`, () => cluster().agentHealthy(node), 15_000, 100);
  }

  before(async function () {
    this.timeout(60_000);
    await assertLabPrerequisites(['iptables-nft', 'iptables-nft-restore', 'curl']);
    const module = (await import(
      pathToFileURL(path.join(repo, 'scripts/demo/live-cluster.mjs')).href
    )) as typeof LiveClusterModule;
    waitFor = module.waitFor;
    live = await module.startLiveCluster({
      prefix: uniquePrefix('disr'),
      nodes: 3,
      podsPerNode: 1,
      gatewayNodes: [2, 3],
      externals: [EXTERNAL],
      agentArgs: [
        `--sync-period=${SYNC_PERIOD_MS / 1000}s`,
        `--traffic-interval=${TRAFFIC_INTERVAL_MS / 1000}s`,
      ],
    });
    const started = live;
    uninstallSignalCleanup = cleanupOnSignal(() => started.cleanup());
    for (const node of live.lab.nodes) live.startAgent(node);
    for (const node of live.lab.nodes) await waitUntilHealthy(node.name);
    await live.apply({
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      metadata: { name: 'checkout' },
      spec: {
        podSelector: { matchLabels: { app: 'checkout' } },
        egressIPs: [EGRESS_IP],
        destinationCIDRs: ['203.0.113.0/24'],
      },
    });
    await waitUntilEgressWorks(`${client().name} to leave as ${EGRESS_IP}`);
  });

  // Every test starts from: all agents running and healthy, the client leaving as the egress IP.
  afterEach(async function () {
    if (live === undefined) return;
    if (this.currentTest?.state === 'failed') console.log(live.logTails(10));
    for (const node of live.lab.nodes) if (!live.agentRunning(node)) live.startAgent(node);
    for (const node of live.lab.nodes) await waitUntilHealthy(node.name);
    await waitUntilEgressWorks('the egress IP to work again after the test');
  });

  after(async () => {
    await live?.cleanup();
    uninstallSignalCleanup();
  });

  /** The gateway agent's traffic counters for the egress IP, from its /metrics (served in its node namespace). */
  async function trafficMetrics(gateway: string): Promise<{ connections: number; bytes: number }> {
    const { stdout } = await runIn(cluster().node(gateway).namespace, 'curl', [
      '-sf',
      '--max-time',
      '5',
      'http://127.0.0.1:10269/metrics',
    ]);
    const value = (name: string) => {
      const line = stdout
        .split('\n')
        .find((candidate) =>
          candidate.startsWith(`egress_proxier_${name}{egress_ip="${EGRESS_IP}",egress="checkout"} `),
        );
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    return { connections: value('egress_ip_connections_total'), bytes: value('egress_ip_bytes_total') };
  }

  it("the gateway's /metrics count the connections and bytes that left as the egress IP", async () => {
    const gateway = await soleHolder();
    const before = await trafficMetrics(gateway);
    const { attempts } = await duringConnectionLoop(() => sleep(2_000));
    const egressed = attempts.filter((attempt) => attempt.source === EGRESS_IP).length;
    expect(egressed, 'connections that left as the egress IP').to.be.greaterThan(10);
    // Every connection counted by the datapath shows up within a reading or two.
    const after = await waitFor(
      `the metrics of ${gateway} to count ${egressed} more connections`,
      async () => {
        const now = await trafficMetrics(gateway);
        return now.connections - before.connections >= egressed ? now : undefined;
      },
      4 * TRAFFIC_INTERVAL_MS + 10_000,
      200,
    );
    // Each connection carries a SYN, an ACK and a FIN at least: more than 100 bytes each.
    expect((after?.bytes ?? 0) - before.bytes, 'bytes counted').to.be.greaterThan(egressed * 100);
  });

  it('chains flushed by hand on the client node and the gateway are repaired within one sync period', async () => {
    const live = cluster();
    const gateway = await soleHolder();
    const nodes = [client().node, live.node(gateway)];
    const chains = await Promise.all(nodes.map((node) => ourChains(node.namespace)));
    for (const [index, node] of nodes.entries())
      expect([...(chains[index]?.values() ?? [])].flat(), `our chains on ${node.name}`).to.include.members([
        'EGRESS-PROXIER-POSTROUTING',
        'EGRESS-PROXIER-MARK',
        'EGRESS-PROXIER-CANARY',
      ]);
    const rulesBefore = await Promise.all(nodes.map((node) => ourRuleCount(node.namespace)));
    const {
      result: { flushedAt, rulesJustAfter },
      attempts,
    } = await duringConnectionLoop(async () => {
      const flushedAt = Date.now();
      await Promise.all(nodes.map((node, index) => flushChains(node.namespace, chains[index] ?? new Map())));
      const rulesJustAfter = await Promise.all(nodes.map((node) => ourRuleCount(node.namespace)));
      await sleep(SYNC_PERIOD_MS + 2_000);
      return { flushedAt, rulesJustAfter };
    });
    const outage = outageSince(attempts, EGRESS_IP, flushedAt);
    const rulesAfter = await Promise.all(nodes.map((node) => ourRuleCount(node.namespace)));
    const repairMs = outage === undefined ? Number.NaN : outage.recoveredAt - flushedAt;
    console.log(
      `      flush: rules ${rulesBefore.join('+')} → ${rulesJustAfter.join('+')} → ${rulesAfter.join('+')} (${nodes.map((n) => n.name).join('+')}); ` +
        `egress IP again ${seconds(repairMs)} after the flush (sync period ${seconds(SYNC_PERIOD_MS)}); ` +
        `bad attempts: ${badTimeline(attempts, EGRESS_IP, flushedAt, 2)}`,
    );
    expect(rulesJustAfter, 'the flush removed every rule of our chains').to.deep.equal(nodes.map(() => 0));
    expect(outage, 'the flush broke egress (connections left with a node IP) until repaired').to.not.equal(
      undefined,
    );
    expect(repairMs, 'flush → connections leave with the egress IP again (ms)').to.be.at.most(
      SYNC_PERIOD_MS + 1_000,
    );
    expect(rulesAfter, 'our rules are back').to.deep.equal(rulesBefore);
  });
});
