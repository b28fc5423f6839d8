// A Clock that only moves when a test says so, for timestamps that must be exact in assertions.
import type { Clock } from '../runner/clock.js';

/** 2025-01-01T00:00:00Z: a fixed, readable start so that timestamps in test output are recognizable. */
export const MANUAL_CLOCK_EPOCH_MS = Date.UTC(2025, 0, 1);

export class ManualClock implements Clock {
  private current: number;

  constructor(startMs: number = MANUAL_CLOCK_EPOCH_MS) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward; got ${ms} ms`);
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}
