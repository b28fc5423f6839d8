/** Wall-clock seam, so timing logic can be tested with sinon's fake timers or a manual clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
