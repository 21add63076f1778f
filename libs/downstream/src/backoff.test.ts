import { describe, expect, it } from 'vitest';
import { backoffCeiling, fullJitterDelay } from './backoff';

const options = { baseDelayMs: 100, maxDelayMs: 2_000 };

describe('backoff', () => {
  it('doubles the ceiling per retry until the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n, options))).toEqual([
      100, 200, 400, 800, 1600, 2000,
    ]);
    expect(backoffCeiling(10_000, options)).toBe(2_000);
  });

  it('full jitter stays within [0, ceiling) for the extremes of randomness', () => {
    for (let retry = 1; retry <= 8; retry += 1) {
      expect(fullJitterDelay(retry, options, () => 0)).toBe(0);
      const high = fullJitterDelay(retry, options, () => 0.999_999);
      expect(high).toBeLessThan(backoffCeiling(retry, options));
      expect(high).toBeGreaterThanOrEqual(backoffCeiling(retry, options) - 1);
    }
  });

  it('spreads delays across the whole window rather than clustering', () => {
    const delays = Array.from({ length: 2_000 }, () => fullJitterDelay(4, options));
    expect(Math.min(...delays)).toBeLessThan(80);
    expect(Math.max(...delays)).toBeGreaterThan(720);
    expect(delays.every((d) => d >= 0 && d < 800)).toBe(true);
  });
});
