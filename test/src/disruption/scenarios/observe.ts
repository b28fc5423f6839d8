// The measuring window of a scenario: connection loops from its pods (a new TCP connection every 50 ms) and a
// holder sampler (every ~50 ms) run from a short lead before the disruption until the scenario is done; both
// are stopped also when the scenario throws.
import type { LabPod } from '@egress-proxier/netlab';
import type { ConnectionAttempt, PodAttempts } from '../../../../scripts/demo/live-cluster.mjs';
import { sampleHolders, type HolderSample } from '../holder-watch.js';
import type { DisruptionCluster, EgressUnderTest } from './disruption-cluster.js';

export const LOOP_INTERVAL_MS = 50;
/** A connection with no answer after this long counts as failed. */
export const LOOP_TIMEOUT_MS = 1_000;
export const HOLDER_SAMPLE_INTERVAL_MS = 50;
/** Loops and sampler run this long before the disruption, so its first effects are inside the window. */
const LEAD_MS = 500;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a scenario can read while its window is open. */
export interface Watch {
  /** The pod's attempts so far, in completion order. */
  attemptsOf(pod: LabPod): readonly ConnectionAttempt[];
  readonly samples: readonly HolderSample[];
  /** Polls `check` every 50 ms; true once it holds, false after `timeoutMs`. */
  until(check: () => boolean, timeoutMs: number): Promise<boolean>;
  /** True once a connection of `pod` started at or after `since` left with `source` (false after timeoutMs). */
  untilSeen(pod: LabPod, source: string, since: number, timeoutMs: number): Promise<boolean>;
}

export interface Observation<T> {
  result: T;
  pods: PodAttempts[];
  samples: HolderSample[];
}

export async function observe<T>(
  cluster: DisruptionCluster,
  window: { pods: readonly LabPod[]; egress: EgressUnderTest },
  body: (watch: Watch) => Promise<T>,
): Promise<Observation<T>> {
  const live = cluster.live;
  const sampler = sampleHolders(live, window.egress.egressIP, HOLDER_SAMPLE_INTERVAL_MS);
  let loops;
  try {
    loops = await live.startConnectionLoops(window.pods, {
      ip: window.egress.external,
      intervalMs: LOOP_INTERVAL_MS,
      timeoutMs: LOOP_TIMEOUT_MS,
    });
  } catch (error) {
    await sampler.stop().catch(() => undefined);
    throw error;
  }
  const running = loops;
  const attemptsOf = (pod: LabPod) => {
    const index = window.pods.indexOf(pod);
    const loop = running.loops[index];
    if (loop === undefined) throw new Error(`${pod.name} has no connection loop in this window`);
    return loop.attempts;
  };
  const until = async (check: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
    return true;
  };
  const watch: Watch = {
    attemptsOf,
    samples: sampler.samples,
    until,
    untilSeen: (pod, source, since, timeoutMs) =>
      until(
        () => attemptsOf(pod).some((attempt) => attempt.startedAt >= since && attempt.source === source),
        timeoutMs,
      ),
  };
  let outcome: { ok: true; result: T } | { ok: false; error: unknown };
  try {
    await sleep(LEAD_MS);
    outcome = { ok: true, result: await body(watch) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  // Stop both before rethrowing: nothing of a failed scenario keeps running into the next one.
  const [pods, samples] = await Promise.allSettled([running.stop(), sampler.stop()]);
  if (!outcome.ok) throw outcome.error;
  if (pods.status === 'rejected') throw pods.reason;
  if (samples.status === 'rejected') throw samples.reason;
  return { result: outcome.result, pods: pods.value, samples: samples.value };
}
