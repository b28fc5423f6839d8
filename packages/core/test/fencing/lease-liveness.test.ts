import { expect } from 'chai';
import { clockAt } from '../support/settable-clock.js';
import { LeaseLiveness } from '../../src/fencing/lease-liveness.js';

function setup(selfFencing = true): { liveness: LeaseLiveness; clock: { t: number } } {
  const clock = { t: 0 };
  const liveness = new LeaseLiveness({
    selfNode: 'a',
    leaseDurationMs: 3000,
    fenceMarginMs: 1000,
    viewGraceMs: 1000,
    selfFencing,
    clock: clockAt(clock),
  });
  return { liveness, clock };
}

const lease = (node: string, rv: string) => ({
  name: `egress-proxier-node-${node}`,
  resourceVersion: rv,
  holderIdentity: node,
  leaseDurationSeconds: 3,
  renewTime: '2000-01-01T00:00:00.000000Z',
  annotations: {},
});

describe('LeaseLiveness', () => {
  it('expires a lease a duration after its last observed change, on the local clock', () => {
    const { liveness, clock } = setup();
    liveness.observe(lease('b', '1'));
    for (let t = 500; t <= 4000; t += 500) {
      clock.t = t;
      liveness.observe(lease('c', String(t))); // c keeps renewing, so the view is current
      expect(liveness.isLive('b'), `t=${t}`).to.equal(t < 3000);
    }
  });

  it('freezes its judgement when the view goes quiet and discounts the blind time when it returns', () => {
    const { liveness, clock } = setup();
    liveness.observe(lease('b', '1'));
    clock.t = 10_000; // blind for 10 s: b is not declared dead
    expect(liveness.isLive('b')).to.equal(true);
    liveness.observe(lease('c', '2')); // the view returns; b's lease has not changed yet
    expect(liveness.isLive('b')).to.equal(true);
    // b's change was 1 s old when the view went quiet (the grace); 2 s more of seeing make 3 s.
    for (let t = 10_500; t <= 12_500; t += 500) {
      clock.t = t;
      liveness.observe(lease('c', String(t)));
      expect(liveness.isLive('b'), `t=${t}`).to.equal(t < 12_000);
    }
  });

  it('after a blind spell, holds hand-overs a lease duration from the view coming back', () => {
    const { liveness, clock } = setup();
    liveness.observe(lease('b', '1'));
    clock.t = 500;
    liveness.observe(lease('c', '1')); // a short gap: no blind spell
    expect(liveness.expiryOf('b')).to.equal(3000);
    clock.t = 10_000;
    liveness.observe(lease('c', '2')); // back after 9.5 s of silence
    expect(liveness.isLive('b')).to.equal(true);
    // Liveness keeps the discounted expiry (b's change was 0.5 s old when the view went quiet) …
    for (let t = 10_500; t <= 11_500; t += 500) {
      clock.t = t;
      liveness.observe(lease('c', String(t)));
      expect(liveness.isLive('b'), `t=${t}`).to.equal(t < 11_500);
    }
    // … but nobody claims from b before 10 s + 3 s.
    expect(liveness.expiryOf('b')).to.equal(13_000);
  });

  it('after telling a peer "no API", holds hand-overs a lease duration from that answer', () => {
    // A view that never went blind (a watch cache serving lists while writes fail): b's lease expires for
    // liveness as usual, but the peer that asked may be kept live on this agent's answer.
    const { liveness, clock } = setup();
    liveness.observe(lease('b', '1'));
    for (let t = 500; t <= 3_500; t += 500) {
      clock.t = t;
      liveness.observe(lease('c', String(t))); // c keeps renewing, so the view is current
      if (t === 2_000) liveness.apiDenied();
    }
    expect(liveness.isLive('b')).to.equal(false);
    expect(liveness.expiryOf('b')).to.equal(5_000);
    expect(liveness.expiryOf('c')).to.equal(6_500, 'a later observation counts as it is');
  });

  it('counts itself live only until a fence margin before its lease can expire elsewhere', () => {
    const { liveness, clock } = setup();
    expect(liveness.isLive('a')).to.equal(false); // never renewed
    liveness.selfRenewed(100);
    clock.t = 2099;
    expect(liveness.isLive('a')).to.equal(true);
    clock.t = 2100;
    expect(liveness.isLive('a')).to.equal(false);
    expect(setup(false).liveness.isLive('a')).to.equal(true);
  });
});
