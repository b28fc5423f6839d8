// Reads a connection loop's attempts: which ones left with the expected source, and the outage window
// a disruption caused as the client saw it (resolution: the loop's interval).
import type { ConnectionAttempt } from '../../../scripts/demo/live-cluster.mjs';

/** An attempt that failed or left with another source than `expected`. */
export function isBad(attempt: ConnectionAttempt, expected: string): boolean {
  return attempt.source !== expected;
}

export interface Outage {
  /** Start of the first bad attempt at or after `since`. */
  firstBadAt: number;
  /** Start of the first good attempt after the last bad one. */
  recoveredAt: number;
  /** recoveredAt − firstBadAt. */
  windowMs: number;
  failed: number;
  wrongSource: number;
}

/**
 * The outage in `attempts` (ordered by start) from `since` on, or undefined when every attempt was good.
 * Throws when the loop never recovered (no good attempt after the last bad one).
 */
export function outageSince(
  attempts: readonly ConnectionAttempt[],
  expected: string,
  since: number,
): Outage | undefined {
  const after = attempts.filter((attempt) => attempt.startedAt >= since);
  const bad = after.filter((attempt) => isBad(attempt, expected));
  const firstBad = bad[0];
  const lastBad = bad[bad.length - 1];
  if (firstBad === undefined || lastBad === undefined) return undefined;
  const recovered = after.find(
    (attempt) => attempt.startedAt > lastBad.startedAt && !isBad(attempt, expected),
  );
  if (recovered === undefined) {
    throw new Error(
      `the client never recovered: last bad attempt at +${lastBad.startedAt - since} ms (${describeAttempt(lastBad)})`,
    );
  }
  return {
    firstBadAt: firstBad.startedAt,
    recoveredAt: recovered.startedAt,
    windowMs: recovered.startedAt - firstBad.startedAt,
    failed: bad.filter((attempt) => attempt.error !== undefined).length,
    wrongSource: bad.filter((attempt) => attempt.source !== undefined).length,
  };
}

/** "failed: ECONNREFUSED" or "source 192.0.2.11", for assertion messages. */
export function describeAttempt(attempt: ConnectionAttempt): string {
  return attempt.error !== undefined ? `failed: ${attempt.error}` : `source ${attempt.source}`;
}

/** "+2.51 s failed: ETIMEDOUT, +2.56 s source 192.0.2.12, …": the first bad attempts from `since`. */
export function badTimeline(
  attempts: readonly ConnectionAttempt[],
  expected: string,
  since: number,
  limit = 6,
): string {
  const bad = attempts.filter((attempt) => attempt.startedAt >= since && isBad(attempt, expected));
  const shown = bad
    .slice(0, limit)
    .map((attempt) => `+${((attempt.startedAt - since) / 1000).toFixed(2)} s ${describeAttempt(attempt)}`);
  return bad.length > limit ? `${shown.join(', ')} … (${bad.length} in all)` : shown.join(', ') || 'none';
}
