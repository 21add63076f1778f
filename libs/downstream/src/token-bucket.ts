export interface TokenBucketOptions {
  /** Tokens added per second. Infinity disables the rate and keeps only `pauseUntil`. */
  ratePerSecond: number;
  /** Tokens the bucket holds at most (the burst). Defaults to one second's worth, at least 1. */
  burst?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A token bucket that callers wait on, first come first served. It also honours a pause set
 * from outside: when an API answers 429 with Retry-After, every caller of that API holds back
 * until then, not only the one that was told.
 */
export class TokenBucket {
  private readonly rate: number;
  private readonly capacity: number;
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) {
      throw new RangeError('token bucket: ratePerSecond must be > 0 (or Infinity)');
    }
    this.rate = options.ratePerSecond;
    this.capacity = Number.isFinite(this.rate)
      ? Math.max(1, options.burst ?? Math.ceil(this.rate))
      : Infinity;
    this.tokens = this.capacity;
    this.refilledAt = Date.now();
  }

  /** Callers currently waiting for a token. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Takes a token now if one is free and nobody is queued ahead. */
  tryTake(): boolean {
    if (this.waiters.length > 0) return false;
    return this.takeNow();
  }

  /** Resolves when the caller holds a token; rejects with the signal's reason on abort. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  /** Grants no token before `epochMs` (a server's Retry-After). Never shortens a pause. */
  pauseUntil(epochMs: number): void {
    if (epochMs <= this.pausedUntil) return;
    this.pausedUntil = epochMs;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.schedule();
  }

  /** Rejects every waiter (client closing). */
  close(reason: unknown): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(reason);
    }
  }

  private takeNow(): boolean {
    const now = Date.now();
    if (now < this.pausedUntil) return false;
    if (!Number.isFinite(this.rate)) return true;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(now: number): void {
    const elapsed = now - this.refilledAt;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.rate) / 1000);
    this.refilledAt = now;
  }

  private delayUntilNextToken(): number {
    const now = Date.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    if (!Number.isFinite(this.rate)) return 0;
    this.refill(now);
    return Math.max(0, Math.ceil(((1 - this.tokens) * 1000) / this.rate));
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.delayUntilNextToken());
  }

  private drain(): void {
    while (this.waiters.length > 0 && this.takeNow()) {
      const waiter = this.waiters.shift()!;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.schedule();
  }
}
