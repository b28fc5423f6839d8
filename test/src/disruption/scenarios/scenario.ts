// What a disruption scenario is: a name, the targets it is held to, and a run that measures one disruption on
// the shared cluster, starting from its steady state and leaving it so (disruption-cluster.ts). The mocha
// suite (scenarios.test.ts) and the soak runner (scripts/soak/soak.mjs) run the same objects.
import type { HolderSample } from '../holder-watch.js';
import type { Load, RunFigures, Targets } from '../targets.js';
import { longestSampleGapMs, twoHolderSamples, type PodCounts, type WrongConnection } from '../verdicts.js';
import type { DisruptionCluster } from './disruption-cluster.js';

export interface ScenarioOptions {
  /** Time between the old agent's exit and the new process's start in the restart scenarios. */
  restartDelayMs: number;
  /** How long the API server hangs every request in the api-hang scenario. */
  apiHangMs: number;
}

export interface ScenarioContext {
  cluster: DisruptionCluster;
  options: ScenarioOptions;
  load: Load;
}

export interface ScenarioOutcome {
  figures: RunFigures;
  /** Broken invariants the figures do not show (e.g. the IP moved to the wrong node). */
  errors: string[];
  /** The scenario's own part of the summary line. */
  details: string;
}

export interface Scenario {
  /** Short name for filters and tables, e.g. `sigkill-gateway`. */
  name: string;
  /** What the test shows, for the mocha title. */
  title: string;
  targets: Targets;
  /** Upper bound of one run, hog and restoration included (mocha's timeout). */
  timeoutMs(options: ScenarioOptions): number;
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}

export const seconds = (ms: number | null | undefined): string =>
  ms === undefined || ms === null ? 'never' : `${(ms / 1000).toFixed(2)} s`;

/** A time relative to the disruption: "+0.61 s", "-0.20 s". */
export const relative = (ms: number): string => `${ms >= 0 ? '+' : ''}${seconds(ms)}`;

/** "+0.61 s pod-1-1 192.0.2.12 (neither …), …": the first wrong connections, relative to `since`. */
export function wrongTimeline(wrong: readonly WrongConnection[], since: number, limit = 4): string {
  const ordered = [...wrong].sort((a, b) => a.startedAt - b.startedAt);
  const shown = ordered
    .slice(0, limit)
    .map((w) => `${relative(w.startedAt - since)} ${w.pod} ${w.source} (${w.why})`);
  if (shown.length === 0) return 'none';
  return ordered.length > limit ? `${shown.join(', ')} … (${ordered.length} in all)` : shown.join(', ');
}

/** The figures every scenario has: connection counts from the pods' verdicts and the holder samples. */
export function commonFigures(
  pods: readonly PodCounts[],
  samples: readonly HolderSample[],
  ipAbsentSamples: number,
): RunFigures {
  return {
    connections: pods.reduce((total, pod) => total + pod.connections, 0),
    wrongSource: pods.reduce((total, pod) => total + pod.wrong.length, 0),
    failed: pods.reduce((total, pod) => total + pod.failed, 0),
    holderSamples: samples.length,
    ipAbsentSamples,
    twoHolderSamples: twoHolderSamples(samples).length,
    longestSampleGapMs: longestSampleGapMs(samples),
  };
}

/** "pod-1-1 120 conn (3 failed, 0 wrong), pod-2-1 …; holders: 90 samples ≤ 61 ms apart, 0 with two". */
export function countsLine(pods: readonly PodCounts[], figures: RunFigures): string {
  const perPod = pods
    .map((pod) => `${pod.pod} ${pod.connections} conn (${pod.failed} failed, ${pod.wrong.length} wrong)`)
    .join(', ');
  return (
    `${perPod}; holders: ${figures.holderSamples} samples ≤ ${figures.longestSampleGapMs} ms apart, ` +
    `${figures.ipAbsentSamples} IP-absent, ${figures.twoHolderSamples} with two`
  );
}
