import { describe, expect, it } from 'vitest';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import { compileRetryPolicy, decideRetry } from './retry-policy';

const policy = compileRetryPolicy({
  maxAttempts: 4,
  maxElapsedMs: 10_000,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  maxRetryAfterMs: 5_000,
});
const retriable = new RetriableError('FANOUT_API_SERVER_ERROR', '503');
const half = () => 0.5;

describe('retry policy', () => {
  it('never retries a non-retriable error or a foreign one', () => {
    expect(
      decideRetry(policy, {
        error: new NonRetriableError('FANOUT_API_CLIENT_ERROR', '400'),
        attempt: 1,
        elapsedMs: 0,
      }),
    ).toEqual({ retry: false, reason: 'not_retriable' });
    expect(decideRetry(policy, { error: new Error('boom'), attempt: 1, elapsedMs: 0 })).toEqual({
      retry: false,
      reason: 'not_retriable',
    });
  });

  it('retries with full-jitter backoff until the attempts run out', () => {
    expect(decideRetry(policy, { error: retriable, attempt: 1, elapsedMs: 0 }, half)).toEqual({
      retry: true,
      delayMs: 50,
    });
    expect(decideRetry(policy, { error: retriable, attempt: 3, elapsedMs: 0 }, half)).toEqual({
      retry: true,
      delayMs: 200,
    });
    expect(decideRetry(policy, { error: retriable, attempt: 4, elapsedMs: 0 }, half)).toEqual({
      retry: false,
      reason: 'attempts_exhausted',
    });
  });

  it('waits at least the server Retry-After, with a little jitter on top', () => {
    const decision = decideRetry(
      policy,
      { error: retriable, attempt: 1, elapsedMs: 0, retryAfterMs: 2_000 },
      half,
    );
    expect(decision).toEqual({ retry: true, delayMs: 2_050 });
  });

  it('gives up rather than wait beyond the time budget or a too-long Retry-After', () => {
    expect(
      decideRetry(
        policy,
        { error: retriable, attempt: 1, elapsedMs: 9_990, retryAfterMs: 1_000 },
        half,
      ),
    ).toEqual({ retry: false, reason: 'time_exhausted' });
    expect(
      decideRetry(
        policy,
        { error: retriable, attempt: 1, elapsedMs: 0, retryAfterMs: 60_000 },
        half,
      ),
    ).toEqual({ retry: false, reason: 'time_exhausted' });
  });

  it('refuses nonsense options at compile time', () => {
    expect(() => compileRetryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => compileRetryPolicy({ baseDelayMs: -1 })).toThrow(/baseDelayMs/);
  });
});
