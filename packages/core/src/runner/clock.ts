// Time seam. Wall-clock time only stamps what people read (status, logs, metrics); every duration, deadline
// and expiry is measured on the monotonic clock, and every timer goes through `setTimeout` here, so a test
// can drive all of it with a ManualClock (`@egress-proxier/core/testing`) or sinon's fake timers.

/** A pending timer; `cancel` is idempotent. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds (arbitrary origin): durations, deadlines and expiries. */
  monotonic(): number;
  /** Calls `callback` once, `ms` monotonic milliseconds from now. */
  setTimeout(callback: () => void, ms: number): Timer;
}

/**
 * The process clock. The globals are looked up at each call, so sinon's fake timers (which replace them)
 * drive code that uses this clock.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (callback, ms) => {
    const handle = globalThis.setTimeout(callback, ms);
    return { cancel: () => globalThis.clearTimeout(handle) };
  },
};

/** Resolves after `ms` on `clock`, or as soon as `signal` aborts (the timer is then cancelled). */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
