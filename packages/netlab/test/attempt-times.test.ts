import { expect } from 'chai';
import { onHostClock } from '../src/attempt-times.js';

describe('probe attempt times on the host clock', () => {
  it('keeps the agent stamps when they fall between sending the request and reading the answer', () => {
    const attempt = { startedAt: 1_003, endedAt: 1_040, source: '192.0.2.11' };
    expect(onHostClock(attempt, 1_000, 1_045)).to.deep.equal(attempt);
  });

  it('uses the host interval when the agent clock is behind (a guest clock that wandered 10 s)', () => {
    expect(onHostClock({ startedAt: -9_000, endedAt: -8_960, error: 'x' }, 1_000, 1_045)).to.deep.equal({
      startedAt: 1_000,
      endedAt: 1_045,
      error: 'x',
    });
  });

  it('uses the host interval when the agent clock is ahead, or the stamps are out of order', () => {
    expect(onHostClock({ startedAt: 1_010, endedAt: 1_050 }, 1_000, 1_045)).to.deep.equal({
      startedAt: 1_000,
      endedAt: 1_045,
    });
    expect(onHostClock({ startedAt: 1_030, endedAt: 1_020 }, 1_000, 1_045)).to.deep.equal({
      startedAt: 1_000,
      endedAt: 1_045,
    });
  });
});
