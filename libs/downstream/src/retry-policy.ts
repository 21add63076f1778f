import { isFanoutError } from '@fanout/errors';
import { fullJitterDelay } from './backoff';

/** What a caller may set; every field has a default. */
export interface RetryPolicyOptions {
  /** Attempts in total, the first one included. */
  maxAttempts?: number;
  /** Budget for the whole call, first attempt to last, ms. No retry starts beyond it. */
  maxElapsedMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * A Retry-After longer than this is not waited for in-process: the call fails with the
   * retriable error, and the consumer runtime's retry topics take it from there.
   */
  maxRetryAfterMs?: number;
}

/** Options after validation: the rest of the client sees only this. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly maxElapsedMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'not_retriable' | 'attempts_exhausted' | 'time_exhausted' };

export function compileRetryPolicy(options: RetryPolicyOptions = {}): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: options.maxAttempts ?? 4,
    maxElapsedMs: options.maxElapsedMs ?? 20_000,
    baseDelayMs: options.baseDelayMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 5_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
  };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`retry policy: ${name} must be a finite number >= 0, got ${value}`);
    }
  }
  if (policy.maxAttempts < 1) throw new RangeError('retry policy: maxAttempts must be >= 1');
  return policy;
}

/**
 * Decides whether attempt `attempt` (1-based, just failed with `error`) gets another try, and
 * after how long. A server's Retry-After is a floor, never shortened; a little jitter is added
 * on top so that clients told the same instant do not return in lockstep.
 */
export function decideRetry(
  policy: RetryPolicy,
  input: { error: unknown; attempt: number; elapsedMs: number; retryAfterMs?: number },
  random: () => number = Math.random,
): RetryDecision {
  if (!isFanoutError(input.error) || !input.error.retriable) {
    return { retry: false, reason: 'not_retriable' };
  }
  if (input.attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts_exhausted' };
  let delayMs: number;
  if (input.retryAfterMs !== undefined) {
    if (input.retryAfterMs > policy.maxRetryAfterMs) {
      return { retry: false, reason: 'time_exhausted' };
    }
    delayMs = input.retryAfterMs + Math.floor(random() * Math.min(policy.baseDelayMs, 1000));
  } else {
    delayMs = fullJitterDelay(input.attempt, policy, random);
  }
  if (input.elapsedMs + delayMs > policy.maxElapsedMs) {
    return { retry: false, reason: 'time_exhausted' };
  }
  return { retry: true, delayMs };
}
