// The disruption verdicts and target checks as data: attempts and holder samples in, verdict out. No cluster,
// no root: these run with the unit tests.
import { expect } from 'chai';
import type { ConnectionAttempt } from '../../../scripts/demo/live-cluster.mjs';
import { snapshotDiff } from './datapath-snapshot.js';
import type { HolderSample } from './holder-watch.js';
import { summarizeRuns, targetMisses, type RunFigures, type RunRecord, type Targets } from './targets.js';
import {
  handOverOf,
  judgeSteady,
  judgeTransition,
  longestSampleGapMs,
  percentile,
  recoveryAfter,
  samplesHeldByNobody,
  samplesNotHeldAlone,
  twoHolderSamples,
} from './verdicts.js';

const NODE = '192.0.2.11';
const EGRESS = '192.0.2.100';
const GATEWAY_NODE = '192.0.2.12';

/** An IP = a connection that left with that source, "x" = a failed one; one starts every 50 ms from t = 0. */
function attempts(...outcomes: string[]): ConnectionAttempt[] {
  const list = outcomes.map((outcome, index): ConnectionAttempt => {
    const startedAt = index * 50;
    return outcome === 'x'
      ? { startedAt, endedAt: startedAt + 1000, error: 'timed out after 1000 ms' }
      : { startedAt, endedAt: startedAt + 5, source: outcome };
  });
  // Completion order is not start order (a timed-out attempt ends last): the verdicts must sort.
  return list.reverse();
}

describe('disruption verdicts', () => {
  describe('judgeTransition (apply: node IP → egress IP; delete: the reverse)', () => {
    const cases: {
      name: string;
      outcomes: string[];
      wrong: { at: number; source: string; why: string }[];
      failed: number;
      transitionMs: number | undefined;
    }[] = [
      {
        name: 'a clean switch',
        outcomes: [NODE, NODE, EGRESS, EGRESS],
        wrong: [],
        failed: 0,
        transitionMs: 75,
      },
      {
        name: 'failed connections during the switch are counted apart, not wrong',
        outcomes: [NODE, 'x', 'x', EGRESS],
        wrong: [],
        failed: 2,
        transitionMs: 125,
      },
      {
        name: "another node's IP (steered before the gateway had its SNAT) is wrong",
        outcomes: [NODE, GATEWAY_NODE, GATEWAY_NODE, EGRESS],
        wrong: [
          { at: 50, source: GATEWAY_NODE, why: `neither ${NODE} nor ${EGRESS}` },
          { at: 100, source: GATEWAY_NODE, why: `neither ${NODE} nor ${EGRESS}` },
        ],
        failed: 0,
        transitionMs: 125,
      },
      {
        name: 'the node IP after the first egress-IP connection is a flap back: wrong',
        outcomes: [NODE, EGRESS, NODE, EGRESS],
        wrong: [{ at: 100, source: NODE, why: `${NODE} again after ${EGRESS}` }],
        failed: 0,
        transitionMs: 25,
      },
      {
        name: 'no egress-IP connection at all: no transition time, node IPs are not wrong',
        outcomes: [NODE, NODE, 'x'],
        wrong: [],
        failed: 1,
        transitionMs: undefined,
      },
    ];
    for (const testCase of cases)
      it(testCase.name, () => {
        const verdict = judgeTransition('pod-1-1', attempts(...testCase.outcomes), {
          before: NODE,
          after: EGRESS,
          since: 25,
        });
        expect(
          verdict.wrong.map(({ startedAt, source, why }) => ({ at: startedAt, source, why })),
        ).to.deep.equal(testCase.wrong);
        expect(verdict.failed).to.equal(testCase.failed);
        expect(verdict.connections).to.equal(testCase.outcomes.length);
        expect(verdict.transitionMs).to.equal(testCase.transitionMs);
      });

    it('judges a delete with the sources swapped', () => {
      const verdict = judgeTransition('pod-1-1', attempts(EGRESS, '192.0.2.13', NODE, EGRESS), {
        before: EGRESS,
        after: NODE,
        since: 0,
      });
      expect(verdict.wrong.map((w) => [w.startedAt, w.source])).to.deep.equal([
        [50, '192.0.2.13'],
        [150, EGRESS],
      ]);
      expect(verdict.transitionMs).to.equal(100);
    });
  });

  describe('judgeSteady (restarts, API hangs, failover)', () => {
    it('every source but the egress IP is wrong; failures are counted apart', () => {
      const verdict = judgeSteady('pod-1-1', attempts(EGRESS, 'x', NODE, EGRESS, GATEWAY_NODE), EGRESS);
      expect(verdict.connections).to.equal(5);
      expect(verdict.failed).to.equal(1);
      expect(verdict.wrong.map((w) => [w.startedAt, w.source])).to.deep.equal([
        [100, NODE],
        [200, GATEWAY_NODE],
      ]);
    });

    it('all good: nothing wrong, nothing failed', () => {
      const verdict = judgeSteady('pod-1-1', attempts(EGRESS, EGRESS), EGRESS);
      expect([verdict.failed, verdict.wrong.length]).to.deep.equal([0, 0]);
    });
  });

  describe('recoveryAfter', () => {
    const cases: { name: string; outcomes: string[]; since: number; until?: number; expected: unknown }[] = [
      { name: 'never broken', outcomes: [EGRESS, EGRESS], since: 0, expected: { broken: false } },
      {
        name: 'broken, then the first good connection after the last bad one',
        outcomes: [EGRESS, 'x', EGRESS, NODE, EGRESS, EGRESS],
        since: 0,
        expected: { broken: true, firstBadAt: 50, recoveredAt: 200 },
      },
      {
        name: 'broken and never recovered',
        outcomes: [EGRESS, 'x', 'x'],
        since: 0,
        expected: { broken: true, firstBadAt: 50, recoveredAt: undefined },
      },
      {
        name: 'only connections started in [since, until) count',
        outcomes: ['x', EGRESS, 'x', EGRESS, 'x'],
        since: 50,
        until: 200,
        expected: { broken: true, firstBadAt: 100, recoveredAt: 150 },
      },
    ];
    for (const testCase of cases)
      it(testCase.name, () => {
        expect(
          recoveryAfter(attempts(...testCase.outcomes), EGRESS, testCase.since, testCase.until),
        ).to.deep.equal(testCase.expected);
      });
  });

  describe('holder samples', () => {
    const samples: HolderSample[] = [
      { at: 0, holders: ['node-2'] },
      { at: 50, holders: ['node-2'] },
      { at: 120, holders: [] },
      { at: 170, holders: ['node-2', 'node-3'] },
      { at: 220, holders: ['node-3'] },
      { at: 270, holders: ['node-3'] },
    ];

    it('counts two-holder samples', () => {
      expect(twoHolderSamples(samples).map((s) => s.at)).to.deep.equal([170]);
    });

    it('the gateway not holding the IP alone: absent, shared or moved, within the window', () => {
      expect(samplesNotHeldAlone(samples, 'node-2').map((s) => s.at)).to.deep.equal([120, 170, 220, 270]);
      expect(samplesNotHeldAlone(samples, 'node-2', 0, 170).map((s) => s.at)).to.deep.equal([120]);
    });

    it('samples held by nobody', () => {
      expect(samplesHeldByNobody(samples).map((s) => s.at)).to.deep.equal([120]);
      expect(samplesHeldByNobody(samples, 150).map((s) => s.at)).to.deep.equal([]);
    });

    it('the longest gap between samples is the resolution achieved', () => {
      expect(longestSampleGapMs(samples)).to.equal(70);
      expect(longestSampleGapMs(samples.slice(0, 1))).to.equal(0);
    });

    it('a hand-over: when the old holder lost the IP and who claimed it when', () => {
      expect(handOverOf(samples, 'node-2', 10)).to.deep.equal({
        goneAt: 120,
        claimedAt: 170,
        newHolder: 'node-3',
      });
      expect(handOverOf(samples.slice(0, 2), 'node-2', 10)).to.deep.equal({
        goneAt: undefined,
        claimedAt: undefined,
        newHolder: undefined,
      });
    });
  });

  describe('percentile (nearest rank)', () => {
    const cases: { values: (number | null)[]; p: number; expected: number | undefined }[] = [
      { values: [], p: 50, expected: undefined },
      { values: [300], p: 90, expected: 300 },
      { values: [400, 100], p: 90, expected: 400 },
      { values: [400, 100], p: 50, expected: 100 },
      { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p: 90, expected: 9 },
      { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, null], p: 90, expected: 9 },
      { values: [1, 2, 3, 4, 5, 6, 7, 8, null, null], p: 90, expected: Number.POSITIVE_INFINITY },
    ];
    for (const { values, p, expected } of cases)
      it(`p${p} of [${values.map((value) => value ?? 'never').join(', ')}] is ${expected}`, () => {
        expect(percentile(values, p)).to.equal(expected);
      });
  });
});

describe('disruption targets', () => {
  const figures = (overrides: Partial<RunFigures> = {}): RunFigures => ({
    connections: 100,
    wrongSource: 0,
    failed: 0,
    holderSamples: 50,
    ipAbsentSamples: 0,
    twoHolderSamples: 0,
    longestSampleGapMs: 60,
    ...overrides,
  });
  const record = (overrides: Partial<RunFigures> = {}, errors: string[] = []): RunRecord => ({
    scenario: 's',
    load: 'idle',
    figures: figures(overrides),
    errors,
    misses: [],
    summary: '',
    durationMs: 1,
  });
  const misses = (records: RunRecord[], targets: Targets, statistical = true) =>
    targetMisses(summarizeRuns('s', 'idle', records), targets, { statistical });

  it('sums connections, wrong sources, failures and samples over runs', () => {
    const row = summarizeRuns('s', 'hog', [
      record({ wrongSource: 2, failed: 3 }),
      record({ twoHolderSamples: 1 }),
    ]);
    expect(row).to.deep.include({
      runs: 2,
      connections: 200,
      wrongSource: 2,
      failed: 3,
      twoHolderSamples: 1,
      runsWithErrors: 0,
    });
  });

  it('0 wrong sources and 0 two-holder samples apply to every scenario; failures only where targeted', () => {
    expect(misses([record({ failed: 5 })], {})).to.deep.equal([]);
    expect(misses([record({ failed: 5 })], { noFailedConnections: true })).to.have.length(1);
    expect(misses([record({ wrongSource: 1, twoHolderSamples: 2 })], {})).to.have.length(2);
    expect(misses([record({ ipAbsentSamples: 3 })], { ipNeverAbsent: true })[0]).to.contain('3 samples');
  });

  it('a run with errors misses its targets', () => {
    expect(misses([record({}, ['moved to the wrong node'])], {})).to.deep.equal(['1 of 1 runs with errors']);
  });

  it('apply → egress: p90 over every pod of every run, and every run within the timeline bound; "never" misses', () => {
    const targets: Targets = { applyToEgress: { p90Ms: 1000, perRunMs: 2000 } };
    const nine = Array.from({ length: 9 }, () => record({ applyToEgressMs: [200, 900] }));
    expect(misses([...nine, record({ applyToEgressMs: [200, 1500] })], targets)).to.deep.equal([]);
    expect(misses([...nine, record({ applyToEgressMs: [200, 2100] })], targets)).to.have.length(1);
    expect(misses([record({ applyToEgressMs: [200, null] })], targets)[0]).to.contain('never');
    // A single run: the slower pod must be within the timeline bound; no percentile.
    expect(misses([record({ applyToEgressMs: [200, 1500] })], targets, false)).to.deep.equal([]);
    expect(misses([record({ applyToEgressMs: [200, 2100] })], targets, false)).to.have.length(1);
  });

  it('failover: the median only over a soak, the maximum always', () => {
    const targets: Targets = { failover: { medianMs: 3000, maxMs: 4500 } };
    const runs = [3200, 3300, 2900].map((failoverMs) => record({ failoverMs }));
    expect(misses(runs, targets)).to.deep.equal(['failover median 3200 ms (target ≤ 3000 ms)']);
    expect(misses([record({ failoverMs: 3300 })], targets, false)).to.deep.equal([]);
    expect(misses([record({ failoverMs: 4600 })], targets, false)).to.have.length(1);
    expect(misses([record({ failoverMs: null })], targets, false)[0]).to.contain('never');
  });
});

describe('datapath snapshot diff', () => {
  it('lists lines that went and lines that came, nothing for an equal snapshot', () => {
    const before = [
      'iptables: -A X -j SNAT --to-source 192.0.2.100',
      'rule: 100: from all fwmark 0x1 lookup 100',
    ];
    expect(snapshotDiff(before, [...before])).to.deep.equal([]);
    expect(snapshotDiff(before, [before[1] ?? '', 'route: local 192.0.2.100 dev eth0'])).to.deep.equal([
      '- iptables: -A X -j SNAT --to-source 192.0.2.100',
      '+ route: local 192.0.2.100 dev eth0',
    ]);
  });
});
