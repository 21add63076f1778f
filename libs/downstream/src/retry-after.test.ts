import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after';

const now = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP-date as the time left until it', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
  });

  it('treats an HTTP-date in the past as no wait', () => {
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores absent and malformed values so the caller falls back to backoff', () => {
    for (const value of [undefined, null, '', '  ', '-1', '1.5', 'soon', '+3']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });

  it('uses the first value of a repeated header', () => {
    expect(parseRetryAfter(['2', '9'], now)).toBe(2_000);
  });
});
