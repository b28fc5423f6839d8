// The verdicts of the disruption scenarios: pure functions over what the connection loops and the holder
// sampler recorded, so each rule is unit-tested apart from the cluster (verdicts.test.ts).
//
// A connection is *failed* when it got no answer (timeout, refused, reset) and *wrong* when the external
// server saw a source address the scenario forbids. The two are counted apart: under FailClosed a dropped
// connection is allowed during some transitions, a connection with another source never is.
import type { ConnectionAttempt } from '../../../scripts/demo/live-cluster.mjs';
import type { HolderSample } from './holder-watch.js';

export interface WrongConnection {
  pod: string;
  startedAt: number;
  source: string;
  why: string;
}

export interface PodCounts {
  pod: string;
  connections: number;
  failed: number;
  wrong: WrongConnection[];
}

export interface TransitionVerdict extends PodCounts {
  /** Start of the first connection that left with the after-source; undefined if none did. */
  firstAfterAt: number | undefined;
  /** firstAfterAt − since, in ms; undefined if no connection left with the after-source. */
  transitionMs: number | undefined;
}

const byStart = (attempts: readonly ConnectionAttempt[]) =>
  [...attempts].sort((a, b) => a.startedAt - b.startedAt);

/**
 * A switch of a pod's source from `before` to `after` at `since` (apply: node IP → egress IP; delete: egress IP
 * → node IP). Wrong: a source that is neither, or `before` in a connection started after the first one that
 * left with `after` (a flap back). Connections are ordered by start: the source is chosen at the SYN.
 */
export function judgeTransition(
  pod: string,
  attempts: readonly ConnectionAttempt[],
  transition: { before: string; after: string; since: number },
): TransitionVerdict {
  const ordered = byStart(attempts);
  const firstAfter = ordered.find((attempt) => attempt.source === transition.after);
  const wrong: WrongConnection[] = [];
  for (const attempt of ordered) {
    if (attempt.source === undefined) continue;
    if (attempt.source !== transition.before && attempt.source !== transition.after)
      wrong.push({
        pod,
        startedAt: attempt.startedAt,
        source: attempt.source,
        why: `neither ${transition.before} nor ${transition.after}`,
      });
    else if (
      attempt.source === transition.before &&
      firstAfter !== undefined &&
      attempt.startedAt > firstAfter.startedAt
    )
      wrong.push({
        pod,
        startedAt: attempt.startedAt,
        source: attempt.source,
        why: `${transition.before} again after ${transition.after}`,
      });
  }
  return {
    pod,
    connections: ordered.length,
    failed: ordered.filter((attempt) => attempt.error !== undefined).length,
    wrong,
    firstAfterAt: firstAfter?.startedAt,
    transitionMs: firstAfter === undefined ? undefined : firstAfter.startedAt - transition.since,
  };
}

/** Every connection must leave with `expected` (restarts, API hangs, failover): any other source is wrong. */
export function judgeSteady(
  pod: string,
  attempts: readonly ConnectionAttempt[],
  expected: string,
): PodCounts {
  const ordered = byStart(attempts);
  return {
    pod,
    connections: ordered.length,
    failed: ordered.filter((attempt) => attempt.error !== undefined).length,
    wrong: ordered
      .filter((attempt) => attempt.source !== undefined && attempt.source !== expected)
      .map((attempt) => ({
        pod,
        startedAt: attempt.startedAt,
        source: attempt.source ?? '',
        why: `not ${expected}`,
      })),
  };
}

export type Recovery =
  | { broken: false }
  /** recoveredAt: start of the first good connection after the last bad one; undefined if none came. */
  | { broken: true; firstBadAt: number; recoveredAt: number | undefined };

/**
 * How the client came through a disruption at `since`: among connections started in [since, until), the first
 * bad one (failed or not `expected`), and the first good one started after the last bad one.
 */
export function recoveryAfter(
  attempts: readonly ConnectionAttempt[],
  expected: string,
  since: number,
  until = Number.POSITIVE_INFINITY,
): Recovery {
  const window = byStart(attempts).filter(
    (attempt) => attempt.startedAt >= since && attempt.startedAt < until,
  );
  const isBad = (attempt: ConnectionAttempt) => attempt.source !== expected;
  const bad = window.filter(isBad);
  const firstBad = bad[0];
  const lastBad = bad[bad.length - 1];
  if (firstBad === undefined || lastBad === undefined) return { broken: false };
  const recovered = window.find((attempt) => attempt.startedAt > lastBad.startedAt && !isBad(attempt));
  return { broken: true, firstBadAt: firstBad.startedAt, recoveredAt: recovered?.startedAt };
}

/** Samples in which more than one node held the IP (never allowed). */
export function twoHolderSamples(samples: readonly HolderSample[]): HolderSample[] {
  return samples.filter((sample) => sample.holders.length > 1);
}

/**
 * Samples taken in [from, to) in which `holder` did not hold the IP alone: it was absent, or another node held
 * it too (restarts and API hangs must show the gateway alone throughout).
 */
export function samplesNotHeldAlone(
  samples: readonly HolderSample[],
  holder: string,
  from = Number.NEGATIVE_INFINITY,
  to = Number.POSITIVE_INFINITY,
): HolderSample[] {
  return samples.filter(
    (sample) =>
      sample.at >= from && sample.at < to && !(sample.holders.length === 1 && sample.holders[0] === holder),
  );
}

/** Samples taken in [from, to) in which no node held the IP. */
export function samplesHeldByNobody(
  samples: readonly HolderSample[],
  from = Number.NEGATIVE_INFINITY,
  to = Number.POSITIVE_INFINITY,
): HolderSample[] {
  return samples.filter((sample) => sample.at >= from && sample.at < to && sample.holders.length === 0);
}

/** Longest time between two consecutive samples: the resolution actually achieved (0 for fewer than two). */
export function longestSampleGapMs(samples: readonly HolderSample[]): number {
  let longest = 0;
  for (let index = 1; index < samples.length; index++) {
    const previous = samples[index - 1];
    const current = samples[index];
    if (previous !== undefined && current !== undefined)
      longest = Math.max(longest, current.at - previous.at);
  }
  return longest;
}

export interface HandOver {
  /** First sample from `since` on without the old holder. */
  goneAt: number | undefined;
  /** First sample from `since` on with another holder, and which node that was. */
  claimedAt: number | undefined;
  newHolder: string | undefined;
}

/** When the IP left `oldHolder` and when another node first held it, from `since` (a kill) on. */
export function handOverOf(samples: readonly HolderSample[], oldHolder: string, since: number): HandOver {
  const after = samples.filter((sample) => sample.at >= since);
  const gone = after.find((sample) => !sample.holders.includes(oldHolder));
  const claimed = after.find((sample) => sample.holders.some((node) => node !== oldHolder));
  return {
    goneAt: gone?.at,
    claimedAt: claimed?.at,
    newHolder: claimed?.holders.find((node) => node !== oldHolder),
  };
}

/**
 * Nearest-rank percentile (p in (0, 100]); a missing value (undefined/null: the event never happened) ranks
 * above every number, so "never" can only make a percentile worse. undefined for no values.
 */
export function percentile(values: readonly (number | null | undefined)[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const ranked = values
    .map((value) => (value === undefined || value === null ? Number.POSITIVE_INFINITY : value))
    .sort((a, b) => a - b);
  const rank = Math.min(ranked.length, Math.max(1, Math.ceil((p / 100) * ranked.length)));
  return ranked[rank - 1];
}
