// The desired Egress status with backend conditions: appended after the core's three, transition times kept
// while a condition's status holds, types that disappear removed, and "not judged yet" keeps what is there.
import { expect } from 'chai';
import type { EgressCondition } from '../../src/api/egress-types.js';
import {
  desiredEgressStatus,
  MAX_BACKEND_CONDITIONS,
  statusMatches,
  type DesiredEgressStatus,
} from '../../src/kube/egress-status.js';
import type { PolicyOutcome } from '../../src/model/policy-outcome.js';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:05:00Z';

const accepted: PolicyOutcome = {
  name: 'payments',
  generation: 2,
  accepted: { status: true },
  selectedPods: 3,
  assignments: [{ egressIP: '192.0.2.10', node: null }],
  shadowedBy: [],
};

const pending = (message: string): EgressCondition => ({
  type: 'PodsPendingRecreate',
  status: 'True',
  reason: 'PodsOutsidePool',
  message,
  observedGeneration: 2,
});
const shared: EgressCondition = {
  type: 'SharedAddressUnsupported',
  status: 'True',
  reason: 'MorePodsThanAddresses',
  message: '3 pods, 1 address',
  observedGeneration: 1,
};

const asCurrent = (status: DesiredEgressStatus): Record<string, unknown> =>
  JSON.parse(JSON.stringify(status)) as Record<string, unknown>;
const types = (status: DesiredEgressStatus): string[] => status.conditions.map((c) => c.type);

describe('desiredEgressStatus with backend conditions', () => {
  it('appends backend conditions after the core three, with the backend observedGeneration', () => {
    const status = desiredEgressStatus(accepted, {}, T0, [pending('2 of 3 pods'), shared]);
    expect(types(status)).to.deep.equal([
      'Accepted',
      'Ready',
      'Conflicted',
      'PodsPendingRecreate',
      'SharedAddressUnsupported',
    ]);
    expect(status.conditions[3]).to.deep.equal({ ...pending('2 of 3 pods'), lastTransitionTime: T0 });
    expect(status.conditions[4]?.observedGeneration).to.equal(1);
  });

  it('defaults a backend condition without observedGeneration to the Egress generation', () => {
    const { observedGeneration: _dropped, ...bare } = shared;
    const status = desiredEgressStatus(accepted, {}, T0, [bare]);
    expect(status.conditions[3]?.observedGeneration).to.equal(2);
  });

  it('keeps lastTransitionTime while the status holds, even when the message changes', () => {
    const first = desiredEgressStatus(accepted, {}, T0, [pending('2 of 3 pods')]);
    const second = desiredEgressStatus(accepted, asCurrent(first), T1, [pending('1 of 3 pods')]);
    const condition = second.conditions.find((c) => c.type === 'PodsPendingRecreate');
    expect(condition).to.include({ message: '1 of 3 pods', lastTransitionTime: T0 });
    expect(statusMatches(second, asCurrent(first))).to.equal(false);
  });

  it('moves lastTransitionTime when a backend condition flips', () => {
    const first = desiredEgressStatus(accepted, {}, T0, [pending('2 of 3 pods')]);
    const flipped = desiredEgressStatus(accepted, asCurrent(first), T1, [
      { ...pending('none'), status: 'False' },
    ]);
    expect(flipped.conditions.find((c) => c.type === 'PodsPendingRecreate')).to.include({
      status: 'False',
      lastTransitionTime: T1,
    });
  });

  it('removes a backend type missing from a later report', () => {
    const first = desiredEgressStatus(accepted, {}, T0, [pending('2 of 3 pods'), shared]);
    const later = desiredEgressStatus(accepted, asCurrent(first), T1, [shared]);
    expect(types(later)).to.deep.equal(['Accepted', 'Ready', 'Conflicted', 'SharedAddressUnsupported']);
    const none = desiredEgressStatus(accepted, asCurrent(later), T1, []);
    expect(types(none)).to.deep.equal(['Accepted', 'Ready', 'Conflicted']);
  });

  it('matches an unchanged status whatever the order of conditions (steady state writes nothing)', () => {
    const first = desiredEgressStatus(accepted, {}, T0, [pending('2 of 3 pods'), shared]);
    const current = asCurrent(first);
    (current.conditions as unknown[]).reverse();
    const again = desiredEgressStatus(accepted, current, T1, [pending('2 of 3 pods'), shared]);
    expect(statusMatches(again, current)).to.equal(true);
  });

  it('keeps backend conditions as they are while the backend has not judged the Egress (undefined)', () => {
    const first = desiredEgressStatus(accepted, {}, T0, [pending('2 of 3 pods')]);
    const current = asCurrent(first);
    const unjudged = desiredEgressStatus(accepted, current, T1, undefined);
    expect(statusMatches(unjudged, current)).to.equal(true);
    expect(unjudged.conditions.find((c) => c.type === 'PodsPendingRecreate')).to.deep.equal(
      first.conditions[3],
    );
  });

  it('ignores a backend condition that claims a core type, and duplicates of one type', () => {
    const status = desiredEgressStatus(accepted, {}, T0, [
      { type: 'Ready', status: 'True', reason: 'Hijacked', message: '' },
      shared,
      { ...shared, message: 'second' },
    ]);
    expect(types(status)).to.deep.equal(['Accepted', 'Ready', 'Conflicted', 'SharedAddressUnsupported']);
    expect(status.conditions.find((c) => c.type === 'Ready')?.reason).to.equal('NoGatewayAvailable');
    expect(status.conditions[3]?.message).to.equal('3 pods, 1 address');
  });

  it('fits the CRD limit: at most MAX_BACKEND_CONDITIONS backend conditions, the first ones', () => {
    const many = Array.from({ length: MAX_BACKEND_CONDITIONS + 2 }, (_, i) => ({ ...shared, type: `B${i}` }));
    const status = desiredEgressStatus(accepted, {}, T0, many);
    expect(status.conditions).to.have.length(3 + MAX_BACKEND_CONDITIONS);
    expect(status.conditions.at(-1)?.type).to.equal(`B${MAX_BACKEND_CONDITIONS - 1}`);
  });

  it('a rejected Egress keeps Accepted=False and no backend conditions', () => {
    const rejected: PolicyOutcome = {
      ...accepted,
      accepted: { status: false, reason: 'EgressIPInClusterRange', message: 'inside the pod CIDR' },
      selectedPods: 0,
      assignments: [],
    };
    const status = desiredEgressStatus(rejected, {}, T0, []);
    expect(types(status)).to.deep.equal(['Accepted', 'Ready', 'Conflicted']);
    expect(status.conditions[0]).to.include({ status: 'False', reason: 'EgressIPInClusterRange' });
  });
});
