// What the leader's status writer gets from the cluster proxier's reports.
import { expect } from 'chai';
import type { EgressCondition } from '../../src/api/egress-types.js';
import { BackendConditionStore } from '../../src/agent/backend-conditions.js';
import type { PolicyOutcome } from '../../src/model/policy-outcome.js';

const outcome = (name: string, accepted = true): PolicyOutcome => ({
  name,
  generation: 1,
  accepted: accepted ? { status: true } : { status: false, reason: 'InvalidSpec', message: 'bad' },
  selectedPods: 1,
  assignments: [],
  shadowedBy: [],
});
const pending: EgressCondition = { type: 'PodsPendingRecreate', status: 'True', reason: 'R', message: 'm' };

describe('BackendConditionStore', () => {
  it('knows nothing before the first report, so status keeps what it has', () => {
    expect(new BackendConditionStore().conditionsFor(outcome('a'))).to.equal(undefined);
  });

  it('gives every synced Egress an entry, [] when the backend left it out', () => {
    const store = new BackendConditionStore();
    store.record(['a', 'b'], { changed: true, policyConditions: new Map([['a', [pending]]]) });
    expect(store.conditionsFor(outcome('a'))).to.deep.equal([pending]);
    expect(store.conditionsFor(outcome('b'))).to.deep.equal([]);
    // Accepted after the sync: not judged yet.
    expect(store.conditionsFor(outcome('c'))).to.equal(undefined);
  });

  it('treats a report without policyConditions as "no conditions" (stale ones are removed)', () => {
    const store = new BackendConditionStore();
    store.record(['a'], { changed: false });
    expect(store.conditionsFor(outcome('a'))).to.deep.equal([]);
  });

  it('gives a rejected Egress none: it never reaches a backend', () => {
    expect(new BackendConditionStore().conditionsFor(outcome('a', false))).to.deep.equal([]);
  });

  it('says whether a report changed anything, and forgets everything on clear', () => {
    const store = new BackendConditionStore();
    const report = { changed: true, policyConditions: new Map([['a', [pending]]]) };
    expect(store.record(['a'], report)).to.equal(true);
    expect(store.record(['a'], { ...report, changed: false })).to.equal(false);
    expect(store.record(['a'], { changed: false })).to.equal(true);
    store.clear();
    expect(store.conditionsFor(outcome('a'))).to.equal(undefined);
    expect(store.record(['a'], { changed: false })).to.equal(true);
  });
});
