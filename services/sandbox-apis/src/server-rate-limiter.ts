/**
 * The sandbox's own rate limit per API, a token bucket that answers instead of waiting: a
 * request either takes a token or learns how long until the next one (for Retry-After).
 */
export class ServerRateLimiter {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  /** 0 when a token was taken; otherwise ms until one is free (Infinity at rate 0). */
  take(now: number): number {
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    if (this.ratePerSecond <= 0) return Infinity;
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }
}
