// A passive token bucket (client-go's TokenBucketPassiveRateLimiter): `burst` tokens to start with, one more
// every `refillMs`, never more than `burst`; each accepted event takes one. Time is the clock's monotonic
// milliseconds, so a test moves it with a ManualClock.
import type { Clock } from '../../runner/clock.js';

export interface TokenBucketRate {
  burst: number;
  refillMs: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: TokenBucketRate,
    private readonly clock: Clock,
  ) {
    this.tokens = rate.burst;
    this.updatedAt = clock.monotonic();
  }

  /** Takes a token if one is there; false means the caller is over its rate. */
  tryTake(): boolean {
    const now = this.clock.monotonic();
    this.tokens = Math.min(this.rate.burst, this.tokens + (now - this.updatedAt) / this.rate.refillMs);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
