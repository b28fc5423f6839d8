// Disruptions that must not be seen at all: SIGTERM and restart of an agent (the gateway's, the source node's)
// with a delay before the new process starts, and an API server that accepts requests and never answers.
// Verdict: every connection of both pods succeeds with the egress IP, and every holder sample shows the
// gateway alone holding it (verdicts.ts: judgeSteady, samplesNotHeldAlone).
import { datapathSnapshot, snapshotDiff } from '../datapath-snapshot.js';
import type { HolderSample } from '../holder-watch.js';
import { TIMELINE } from '../targets.js';
import { judgeSteady, samplesNotHeldAlone, type PodCounts } from '../verdicts.js';
import { BASE_EGRESS, type DisruptionCluster } from './disruption-cluster.js';
import { observe, sleep } from './observe.js';
import {
  commonFigures,
  countsLine,
  relative,
  wrongTimeline,
  type Scenario,
  type ScenarioOutcome,
} from './scenario.js';

/**
 * After the disruption ends the window stays open a lease duration and a heartbeat interval: a restarted
 * gateway that failed to renew would lose its IP (or see it claimed) inside it.
 */
const SETTLE_MS = TIMELINE.leaseDurationMs + TIMELINE.heartbeatIntervalMs;
const STEADY_TARGETS = { noFailedConnections: true, ipNeverAbsent: true } as const;

function firstNotAlone(samples: readonly HolderSample[], gateway: string, since: number): string {
  const first = samplesNotHeldAlone(samples, gateway)[0];
  return first === undefined
    ? ''
    : ` (first at ${relative(first.at - since)}: [${first.holders.join(', ')}])`;
}

function failedTimeline(
  pods: { pod: { name: string }; attempts: { startedAt: number; error?: string }[] }[],
  since: number,
): string {
  const failed = pods
    .flatMap(({ pod, attempts }) =>
      attempts.filter((a) => a.error !== undefined).map((a) => ({ pod: pod.name, ...a })),
    )
    .sort((a, b) => a.startedAt - b.startedAt);
  if (failed.length === 0) return 'none';
  const first = failed[0];
  const last = failed[failed.length - 1];
  return `${failed.length} from ${relative((first?.startedAt ?? since) - since)} to ${relative((last?.startedAt ?? since) - since)} (first: ${first?.pod} ${first?.error})`;
}

async function judgeSteadyWindow(
  cluster: DisruptionCluster,
  run: (gateway: string) => Promise<{ since: number; what: string; errors: string[] }>,
): Promise<ScenarioOutcome> {
  const egress = BASE_EGRESS;
  const gateway = cluster.expectedGateway(egress);
  const pods = [cluster.sourcePod, cluster.podOn(gateway)];
  const observation = await observe(cluster, { pods, egress }, () => run(gateway));
  const { since, what, errors } = observation.result;
  const verdicts: PodCounts[] = observation.pods.map(({ pod, attempts }) =>
    judgeSteady(pod.name, attempts, egress.egressIP),
  );
  const samples = observation.samples;
  const figures = commonFigures(verdicts, samples, samplesNotHeldAlone(samples, gateway).length);
  const details =
    `${what}; ${countsLine(verdicts, figures)}${firstNotAlone(samples, gateway, since)}; ` +
    `failed: ${failedTimeline(observation.pods, since)}; wrong: ${wrongTimeline(
      verdicts.flatMap((v) => v.wrong),
      since,
    )}`;
  return { figures, errors, details };
}

function restartScenario(role: 'gateway' | 'source'): Scenario {
  return {
    name: `restart-${role}`,
    title: `SIGTERM and restart of the ${role} node's agent (after the configured delay): no connection fails, the IP never leaves its gateway`,
    targets: STEADY_TARGETS,
    timeoutMs: (options) => 90_000 + options.restartDelayMs,
    async run({ cluster, options }) {
      const live = cluster.live;
      return judgeSteadyWindow(cluster, async (gateway) => {
        const node = role === 'gateway' ? gateway : cluster.sourcePod.node.name;
        const stoppedAt = Date.now();
        const exit = await live.stopAgent(node, 'SIGTERM');
        const exitedAt = Date.now();
        await sleep(options.restartDelayMs);
        live.startAgent(node);
        const startedAt = Date.now();
        await cluster.waitHealthy(node);
        const healthyAt = Date.now();
        await sleep(SETTLE_MS);
        const errors =
          exit.signal === 'SIGKILL'
            ? [`the agent on ${node} did not exit on SIGTERM (killed after the grace period)`]
            : [];
        return {
          since: stoppedAt,
          errors,
          what:
            `${node} stopped in ${((exitedAt - stoppedAt) / 1000).toFixed(2)} s (exit ${exit.code ?? exit.signal}), ` +
            `new process after ${((startedAt - exitedAt) / 1000).toFixed(1)} s, healthy ${((healthyAt - startedAt) / 1000).toFixed(2)} s later`,
        };
      });
    },
  };
}

export const restartGatewayScenario = restartScenario('gateway');
export const restartSourceScenario = restartScenario('source');

/**
 * The API server accepts every request and answers none for `apiHangMs` (fault injection of packages/testing,
 * `pause('hang')` over `/__fault/`), for all agents at once. Peer-confirmed fencing must keep every datapath as
 * it was: the snapshot of every node's rules, sets and routes after the hang equals the one before.
 */
export const apiHangScenario: Scenario = {
  name: 'api-hang',
  title:
    'API requests hang (accepted, never answered) for every agent: the datapath does not change, no connection fails',
  targets: STEADY_TARGETS,
  timeoutMs: (options) => 90_000 + options.apiHangMs,
  async run({ cluster, options }) {
    const live = cluster.live;
    const nodes = live.lab.nodes;
    const before = await Promise.all(nodes.map((node) => datapathSnapshot(node.namespace)));
    const outcome = await judgeSteadyWindow(cluster, async () => {
      const hungAt = Date.now();
      try {
        // durationMs: the server resumes by itself even if this process dies during the hang.
        await live.apiFault('pause', { mode: 'hang', durationMs: options.apiHangMs });
        await sleep(Math.max(0, hungAt + options.apiHangMs - Date.now()));
      } finally {
        await live.apiFault('resume');
      }
      const resumedAt = Date.now();
      await sleep(SETTLE_MS);
      return {
        since: hungAt,
        errors: [],
        what: `API hung for ${((resumedAt - hungAt) / 1000).toFixed(1)} s`,
      };
    });
    const after = await Promise.all(nodes.map((node) => datapathSnapshot(node.namespace)));
    const changed = nodes.flatMap((node, index) => {
      const diff = snapshotDiff(before[index] ?? [], after[index] ?? []);
      return diff.length === 0
        ? []
        : [
            `${node.name}: ${diff.slice(0, 4).join(' | ')}${diff.length > 4 ? ` … (${diff.length} lines)` : ''}`,
          ];
    });
    if (changed.length > 0)
      outcome.errors.push(`the datapath changed across the hang: ${changed.join('; ')}`);
    return {
      ...outcome,
      details: `${outcome.details}; datapath ${changed.length === 0 ? 'unchanged' : `changed on ${changed.length} nodes`}`,
    };
  },
};
