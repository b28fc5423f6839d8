// A clock read from a settable `t` (monotonic and wall alike), for tests that jump time around without
// timers; timing code with timers is tested with ManualClock.
import type { Clock } from '../../src/runner/clock.js';

export function clockAt(holder: { t: number }): Clock {
  return {
    now: () => holder.t,
    monotonic: () => holder.t,
    setTimeout: () => {
      throw new Error('this test clock has no timers: use ManualClock');
    },
  };
}
