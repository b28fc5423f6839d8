// A Clock that only moves when a test says so: timestamps are exact in assertions, and timers fire in order
// as `advance` passes their due time, so timing logic (fencing, hand-overs, sync loops) is tested in virtual
// time, independent of the machine's load.
import type { Clock, Timer } from '../runner/clock.js';

/** 2025-01-01T00:00:00Z: a fixed, readable start so that timestamps in test output are recognizable. */
export const MANUAL_CLOCK_EPOCH_MS = Date.UTC(2025, 0, 1);

interface PendingTimer {
  due: number;
  order: number;
  callback: () => void;
}

export class ManualClock implements Clock {
  private wall: number;
  private mono = 0;
  private order = 0;
  private readonly timers = new Set<PendingTimer>();

  constructor(startMs: number = MANUAL_CLOCK_EPOCH_MS) {
    this.wall = startMs;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const timer: PendingTimer = { due: this.mono + Math.max(0, ms), order: this.order++, callback };
    this.timers.add(timer);
    return { cancel: () => this.timers.delete(timer) };
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves both clocks forward by `ms`, firing every timer that falls due on the way, in due order, with the
   * clock showing its due time (a timer set by a firing timer fires too if it falls due within `ms`).
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward; got ${ms} ms`);
    const target = this.mono + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.timers.delete(next);
      this.moveTo(next.due);
      next.callback();
    }
    this.moveTo(target);
  }

  /** Like `advance`, then lets promise callbacks run between timers, so async code reacts as it would. */
  async advanceAsync(ms: number, stepMs = 10): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward; got ${ms} ms`);
    const target = this.mono + ms;
    await flushMicrotasks();
    while (this.mono < target) {
      const next = this.nextDue(target);
      const until = Math.min(target, next?.due ?? target, this.mono + stepMs);
      this.advance(until - this.mono);
      await flushMicrotasks();
    }
  }

  /** Sets the wall clock (not the monotonic one): a step of the system time. */
  set(ms: number): void {
    this.wall = ms;
  }

  private moveTo(mono: number): void {
    this.wall += mono - this.mono;
    this.mono = mono;
  }

  private nextDue(limit: number): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.timers) {
      if (timer.due > limit) continue;
      if (!next || timer.due < next.due || (timer.due === next.due && timer.order < next.order)) next = timer;
    }
    return next;
  }
}

/** Lets pending promise callbacks (and those they schedule) run. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
