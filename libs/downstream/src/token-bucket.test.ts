import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from './token-bucket';

describe('token bucket', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('grants the burst at once, then one token per 1/rate seconds', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 });
    const granted: number[] = [];
    const start = Date.now();
    const takes = Array.from({ length: 6 }, () =>
      bucket.take().then(() => granted.push(Date.now() - start)),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(takes);
    expect(granted).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('never exceeds the rate over a long run', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 50, burst: 1 });
    let granted = 0;
    for (let i = 0; i < 500; i += 1) {
      bucket.take().then(
        () => (granted += 1),
        () => {},
      );
    }
    await vi.advanceTimersByTimeAsync(2_000);
    expect(granted).toBeGreaterThanOrEqual(100);
    expect(granted).toBeLessThanOrEqual(101);
    bucket.close(new Error('done'));
  });

  it('serves waiters first come, first served, and tryTake never jumps the queue', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 });
    await bucket.take();
    const order: string[] = [];
    void bucket.take().then(() => order.push('a'));
    void bucket.take().then(() => order.push('b'));
    expect(bucket.tryTake()).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(order).toEqual(['a', 'b']);
  });

  it('grants nothing before a pause ends (Retry-After), even with tokens left', async () => {
    const bucket = new TokenBucket({ ratePerSecond: Infinity });
    bucket.pauseUntil(Date.now() + 1_500);
    expect(bucket.tryTake()).toBe(false);
    let done = false;
    void bucket.take().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  it('a shorter pause never shortens a longer one', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 100 });
    bucket.pauseUntil(Date.now() + 1_000);
    bucket.pauseUntil(Date.now() + 10);
    await vi.advanceTimersByTimeAsync(500);
    expect(bucket.tryTake()).toBe(false);
  });

  it('an aborted waiter leaves the queue with the abort reason', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 });
    await bucket.take();
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(bucket.waiting).toBe(0);
  });
});
