// An Egress appearing or disappearing, seen from a steered pod (node-1) and from the gateway's own pod: every
// connection must leave with the pod's node IP or the egress IP, and once the new source showed up the old
// one must not come back (verdicts.ts, judgeTransition).
import type { LabPod } from '@egress-proxier/netlab';
import type { HolderSample } from '../holder-watch.js';
import type { RunFigures } from '../targets.js';
import { judgeTransition, samplesNotHeldAlone, type TransitionVerdict } from '../verdicts.js';
import type { DisruptionCluster, EgressUnderTest } from './disruption-cluster.js';
import { observe, sleep } from './observe.js';
import { commonFigures, countsLine, relative, seconds, wrongTimeline } from './scenario.js';

/** How long every pod may take to switch before the window closes anyway (the verdict then says "never"). */
const SWITCH_TIMEOUT_MS = 15_000;
/** The window stays open this long after both pods switched, so a flap back shows. */
const TAIL_MS = 1_500;

export type Direction = 'on' | 'off';

export interface TransitionMeasurement {
  at: number;
  verdicts: TransitionVerdict[];
  samples: HolderSample[];
  figures: RunFigures;
  errors: string[];
  details: string;
}

/**
 * Runs `act` (kubectl apply or delete, resolving with the time it returned) inside a measuring window of the
 * source pod and `gateway`'s pod, and judges the switch: 'on' from node IP to egress IP, 'off' the reverse.
 */
export async function measureTransition(
  cluster: DisruptionCluster,
  transition: { egress: EgressUnderTest; gateway: string; direction: Direction; act: () => Promise<number> },
): Promise<TransitionMeasurement> {
  const { egress, gateway, direction } = transition;
  const pods = [cluster.sourcePod, cluster.podOn(gateway)];
  const sources = (pod: LabPod) =>
    direction === 'on'
      ? { before: cluster.nodeIPOf(pod), after: egress.egressIP }
      : { before: egress.egressIP, after: cluster.nodeIPOf(pod) };
  const observation = await observe(cluster, { pods, egress }, async (watch) => {
    const at = await transition.act();
    for (const pod of pods)
      await watch.untilSeen(pod, sources(pod).after, at, at + SWITCH_TIMEOUT_MS - Date.now());
    await sleep(TAIL_MS);
    return at;
  });
  const at = observation.result;
  const verdicts = observation.pods.map(({ pod, attempts }) =>
    judgeTransition(pod.name, attempts, { ...sources(pod), since: at }),
  );
  const samples = observation.samples;
  const errors: string[] = [];
  let ipAbsent: number;
  if (direction === 'on') {
    // Once on its gateway, the IP stays there alone; it never lands anywhere else.
    const firstHeld = samples.find((sample) => sample.holders.includes(gateway));
    if (firstHeld === undefined) errors.push(`${egress.egressIP} never appeared on ${gateway}`);
    ipAbsent = firstHeld === undefined ? 0 : samplesNotHeldAlone(samples, gateway, firstHeld.at).length;
    const elsewhere = samples.filter((sample) => sample.holders.some((node) => node !== gateway));
    if (elsewhere[0] !== undefined)
      errors.push(
        `${egress.egressIP} was on [${elsewhere[0].holders.join(', ')}] at ${relative(elsewhere[0].at - at)}, not only on ${gateway}`,
      );
  } else {
    // Until the delete, the IP is on its gateway alone; afterwards it is gone everywhere.
    ipAbsent = samplesNotHeldAlone(samples, gateway, Number.NEGATIVE_INFINITY, at).length;
    const last = samples[samples.length - 1];
    if (last !== undefined && last.holders.length > 0)
      errors.push(`${egress.egressIP} is still held by [${last.holders.join(', ')}] after the delete`);
  }
  const figures = commonFigures(verdicts, samples, ipAbsent);
  for (const verdict of verdicts)
    if (verdict.transitionMs === undefined)
      errors.push(`${verdict.pod} never left with ${sources(podNamed(pods, verdict.pod)).after}`);
  const switched = verdicts.map((verdict) => `${verdict.pod} ${seconds(verdict.transitionMs)}`).join(', ');
  const details =
    `${direction === 'on' ? 'apply' : 'delete'} → ${direction === 'on' ? 'egress IP' : 'node IP'}: ${switched}; ` +
    `${countsLine(verdicts, figures)}; wrong: ${wrongTimeline(
      verdicts.flatMap((v) => v.wrong),
      at,
    )}`;
  return { at, verdicts, samples, figures, errors, details };
}

function podNamed(pods: readonly LabPod[], name: string): LabPod {
  const pod = pods.find((candidate) => candidate.name === name);
  if (pod === undefined) throw new Error(`no pod ${name} in this window`);
  return pod;
}

/** Waits until every pod leaves toward `egress.external` as `expected(pod)`, outside any window (set-up). */
export async function waitUntilPodsLeaveAs(
  cluster: DisruptionCluster,
  egress: EgressUnderTest,
  expected: (pod: LabPod) => string,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = cluster.live.lab.pods;
    const seen = await Promise.all(pods.map((pod) => cluster.sourceSeen(pod, egress.external)));
    const wrong = pods.filter((pod, index) => seen[index] !== expected(pod));
    if (wrong.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}: ${wrong
          .map((pod) => `${pod.name} leaves as ${seen[pods.indexOf(pod)] ?? 'nothing'}`)
          .join(', ')}`,
      );
    await sleep(200);
  }
}
