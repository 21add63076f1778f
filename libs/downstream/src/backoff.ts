/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and
 * Jitter"): the delay before retry n is uniform in [0, min(cap, base * 2^(n-1))]. Full jitter
 * spreads the retries of many clients that failed together, so a recovering API is not hit by
 * synchronized waves.
 */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, ms. */
  baseDelayMs: number;
  /** No delay exceeds this, ms. */
  maxDelayMs: number;
}

/** The exponential ceiling for a retry number (1 = first retry), before jitter. */
export function backoffCeiling(retry: number, options: BackoffOptions): number {
  const exponent = Math.max(0, retry - 1);
  // 2^exponent overflows to Infinity for large retries; min() keeps it at the cap.
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
}

/** A full-jitter delay for a retry number (1 = first retry). `random` returns [0, 1). */
export function fullJitterDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCeiling(retry, options));
}
