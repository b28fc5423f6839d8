// What "done" means for each disruption scenario, and how runs are summed up into one row per scenario × load.
// Every bound comes from the design's timeline (docs/failover.md, agent defaults), never from a measurement:
// a test must fail when the agent misses the design, whatever this machine happened to show once.
import { percentile } from './verdicts.js';

/** Agent defaults the timeline is written for (docs/failover.md, "Timeline"). */
export const TIMELINE = {
  leaseDurationMs: 3_000,
  heartbeatIntervalMs: 1_000,
  handoverMarginMs: 250,
  minSyncPeriodMs: 1_000,
  /** What a renewal right after a lease write grants (docs/failover.md, "The kernel fence"). */
  addressLifetimeMs: 2_000,
  /** The kernel checks address lifetimes on whole-second boundaries. */
  addressExpiryGranularityMs: 1_000,
} as const;

export const BOUNDS = {
  /**
   * One run of apply/delete: the Egress reaches every agent by watch; the gateway syncs twice (claim, then
   * SNAT) and publishes ready; each source node syncs twice (hold, then steer). The sync burst (3) covers that
   * in a settled cluster, but a change in the same second may have used it: then one sync waits up to one min
   * sync period, and the other follows. The target (p90 ≤ 1 s) is checked over soak runs.
   */
  applyToEgressMs: 2 * TIMELINE.minSyncPeriodMs,
  /** The target for apply → egress IP over many runs. */
  applyToEgressP90Ms: TIMELINE.minSyncPeriodMs,
  /**
   * A crash at 0 after the last renewal at −u: others see the lease expire at −u + lease ≤ lease, the dead
   * node's claim counts for the hand-over margin more, then the new owner syncs within one min sync period.
   */
  failoverMaxMs: TIMELINE.leaseDurationMs + TIMELINE.handoverMarginMs + TIMELINE.minSyncPeriodMs,
  /**
   * The target for the median failover (the timeline: 2.25–3.25 s, 2.75 s on average), as the agent
   * benchmark measures it (`npm run bench`: kill → the new owner's sync hosts the IP). On the lab, kill → the
   * address seen on the new node also counts the kernel sync and the 50 ms sampling (~0.1–0.2 s): the soak
   * reports that median and gates each run on `failoverMaxMs`.
   */
  failoverMedianMs: 3_000,
  /** The kernel drops a dead gateway's address: its lifetime from the last renewal, plus the granularity. */
  addressGoneMs: TIMELINE.addressLifetimeMs + TIMELINE.addressExpiryGranularityMs,
} as const;

/** Which targets a scenario is held to. 0 wrong-source connections and 0 two-holder samples always apply. */
export interface Targets {
  /** Restarts and API hangs: every connection succeeds. */
  noFailedConnections?: boolean;
  /** Restarts and API hangs: every holder sample shows the gateway alone. */
  ipNeverAbsent?: boolean;
  /**
   * apply → first egress-IP connection, per pod: over a soak, the p90 of every pod of every run at most
   * `p90Ms`; in a single run, every pod at most `perRunMs` (a timeline bound, not a percentile).
   */
  applyToEgress?: { p90Ms: number; perRunMs: number };
  /** kill → IP held by another node: every run at most `maxMs`; over a soak, the median at most `medianMs`. */
  failover?: { medianMs?: number; maxMs: number };
  /** kill → the old gateway's address is gone, every run. */
  addressGoneMaxMs?: number;
  /** kill → the source pod's connections leave with the egress IP again, every run. */
  recoveredMaxMs?: number;
}

export type Load = 'idle' | 'hog';

/** One run's figures, JSON-friendly: null = the event never happened, absent = not measured here. */
export interface RunFigures {
  connections: number;
  wrongSource: number;
  failed: number;
  holderSamples: number;
  /** Samples in which the IP was not where the scenario expects it (see each scenario). */
  ipAbsentSamples: number;
  twoHolderSamples: number;
  longestSampleGapMs: number;
  /** apply → first egress-IP connection, one value per pod. */
  applyToEgressMs?: (number | null)[];
  failoverMs?: number | null;
  addressGoneMs?: number | null;
  recoveredMs?: number | null;
}

export interface RunRecord {
  scenario: string;
  load: Load;
  figures: RunFigures;
  /** What made the run unusable or broke an invariant beyond the figures (e.g. the IP moved to the wrong node). */
  errors: string[];
  /** The targets this run alone misses (targetMisses, per-run bounds; [] = passed). */
  misses: string[];
  /** One line with the run's figures, for the test output. */
  summary: string;
  durationMs: number;
}

export interface SoakRow {
  scenario: string;
  load: Load;
  runs: number;
  runsWithErrors: number;
  connections: number;
  wrongSource: number;
  failed: number;
  ipAbsentSamples: number;
  twoHolderSamples: number;
  applyToEgressP50Ms?: number | null;
  applyToEgressP90Ms?: number | null;
  applyToEgressMaxMs?: number | null;
  failoverP50Ms?: number | null;
  failoverMaxMs?: number | null;
  addressGoneMaxMs?: number | null;
  recoveredMaxMs?: number | null;
}

const finite = (value: number | undefined): number | null | undefined =>
  value === undefined ? undefined : Number.isFinite(value) ? value : null;

/** Sums up runs of one scenario under one load. */
export function summarizeRuns(scenario: string, load: Load, records: readonly RunRecord[]): SoakRow {
  const sum = (pick: (figures: RunFigures) => number) =>
    records.reduce((total, record) => total + pick(record.figures), 0);
  const measured = <T>(pick: (figures: RunFigures) => T | undefined): T[] =>
    records.flatMap((record) => {
      const value = pick(record.figures);
      return value === undefined ? [] : [value];
    });
  const apply = measured((figures) => figures.applyToEgressMs).flat();
  const failover = measured((figures) => figures.failoverMs);
  const gone = measured((figures) => figures.addressGoneMs);
  const recovered = measured((figures) => figures.recoveredMs);
  const row: SoakRow = {
    scenario,
    load,
    runs: records.length,
    runsWithErrors: records.filter((record) => record.errors.length > 0).length,
    connections: sum((figures) => figures.connections),
    wrongSource: sum((figures) => figures.wrongSource),
    failed: sum((figures) => figures.failed),
    ipAbsentSamples: sum((figures) => figures.ipAbsentSamples),
    twoHolderSamples: sum((figures) => figures.twoHolderSamples),
  };
  if (apply.length > 0) {
    row.applyToEgressP50Ms = finite(percentile(apply, 50));
    row.applyToEgressP90Ms = finite(percentile(apply, 90));
    row.applyToEgressMaxMs = finite(percentile(apply, 100));
  }
  if (failover.length > 0) {
    row.failoverP50Ms = finite(percentile(failover, 50));
    row.failoverMaxMs = finite(percentile(failover, 100));
  }
  if (gone.length > 0) row.addressGoneMaxMs = finite(percentile(gone, 100));
  if (recovered.length > 0) row.recoveredMaxMs = finite(percentile(recovered, 100));
  return row;
}

const ms = (value: number | null | undefined) =>
  value === undefined ? 'not measured' : value === null ? 'never' : `${value} ms`;
const over = (value: number | null | undefined, limit: number) =>
  value === undefined || value === null || value > limit;

/**
 * The targets a row misses, one sentence each ([] = done). `statistical` (a soak) applies the percentile
 * targets; a single run (the mocha suite) is held to the timeline's per-run bounds instead: every pod's
 * apply → egress within the p90 bound and the failover within its maximum (a median of one run says nothing).
 */
export function targetMisses(row: SoakRow, targets: Targets, options: { statistical: boolean }): string[] {
  const misses: string[] = [];
  if (row.runsWithErrors > 0) misses.push(`${row.runsWithErrors} of ${row.runs} runs with errors`);
  if (row.wrongSource > 0) misses.push(`${row.wrongSource} connections left with a wrong source (target 0)`);
  if (row.twoHolderSamples > 0) misses.push(`${row.twoHolderSamples} samples with two holders (target 0)`);
  if (targets.noFailedConnections && row.failed > 0)
    misses.push(`${row.failed} connections failed (target 0)`);
  if (targets.ipNeverAbsent && row.ipAbsentSamples > 0)
    misses.push(`${row.ipAbsentSamples} samples without the egress IP on its gateway alone (target 0)`);
  const apply = targets.applyToEgress;
  if (apply !== undefined) {
    if (options.statistical && over(row.applyToEgressP90Ms, apply.p90Ms))
      misses.push(`apply → egress IP p90 ${ms(row.applyToEgressP90Ms)} (target ≤ ${apply.p90Ms} ms)`);
    // Every run, in a soak too: the slowest pod of each run within the timeline bound.
    if (over(row.applyToEgressMaxMs, apply.perRunMs))
      misses.push(
        `apply → egress IP ${ms(row.applyToEgressMaxMs)} for the slowest pod (bound ${apply.perRunMs} ms)`,
      );
  }
  if (targets.failover !== undefined) {
    const median = targets.failover.medianMs;
    if (options.statistical && median !== undefined && over(row.failoverP50Ms, median))
      misses.push(`failover median ${ms(row.failoverP50Ms)} (target ≤ ${median} ms)`);
    if (over(row.failoverMaxMs, targets.failover.maxMs))
      misses.push(`failover max ${ms(row.failoverMaxMs)} (timeline bound ${targets.failover.maxMs} ms)`);
  }
  if (targets.addressGoneMaxMs !== undefined && over(row.addressGoneMaxMs, targets.addressGoneMaxMs))
    misses.push(
      `kill → address gone ${ms(row.addressGoneMaxMs)} (timeline bound ${targets.addressGoneMaxMs} ms)`,
    );
  if (targets.recoveredMaxMs !== undefined && over(row.recoveredMaxMs, targets.recoveredMaxMs))
    misses.push(`kill → client recovered ${ms(row.recoveredMaxMs)} (bound ${targets.recoveredMaxMs} ms)`);
  return misses;
}
