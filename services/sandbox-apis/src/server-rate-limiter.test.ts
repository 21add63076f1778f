import { describe, expect, it } from 'vitest';
import { ServerRateLimiter } from './server-rate-limiter';

describe('server rate limiter', () => {
  it('admits the burst, then tells how long until the next token', () => {
    const limiter = new ServerRateLimiter(10, 2, 0);
    expect(limiter.take(0)).toBe(0);
    expect(limiter.take(0)).toBe(0);
    expect(limiter.take(0)).toBe(100);
    expect(limiter.take(50)).toBe(50);
    expect(limiter.take(100)).toBe(0);
  });

  it('at rate 0 refuses forever after the burst', () => {
    const limiter = new ServerRateLimiter(0, 1, 0);
    expect(limiter.take(0)).toBe(0);
    expect(limiter.take(60_000)).toBe(Infinity);
  });
});
