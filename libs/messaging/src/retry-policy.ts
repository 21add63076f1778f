/**
 * Where a failed event goes next. The decision reads only the error's `retriable` flag and
 * the attempt counts, never its message: a non-retriable error goes straight to the
 * dead-letter topic, a retriable one gets a few immediate attempts with backoff, then one
 * delivery per retry tier (each later than the last), then the dead-letter topic.
 */
export interface RetryOptions {
  /** Attempts within one delivery, including the first. Default 3. */
  immediateAttempts?: number;
  /** Backoff before the 2nd immediate attempt; doubles per attempt. Default 100 ms. */
  immediateBackoffMs?: number;
  /** Cap of the immediate backoff. Default 2 s. */
  maxImmediateBackoffMs?: number;
  /** Delay of each retry tier, in ms, e.g. [1_000, 10_000, 60_000]. Default [1 s, 10 s]. */
  tiers?: readonly number[];
}

export interface RetryPolicy {
  readonly immediateAttempts: number;
  readonly tiers: readonly RetryTier[];
  readonly deadLetterTopic: string;
  /** Delay before immediate attempt `attempt + 1` (attempt counts from 1), or null: stop. */
  immediateBackoff(attempt: number, retriable: boolean): number | null;
  /** Where an event that failed its delivery at `tier` (0 = source topic) goes now. */
  next(tier: number, retriable: boolean, now: number): RetryDecision;
  /** Tier index of a topic this policy owns (1-based), 0 for any other topic. */
  tierOf(topic: string): number;
}

export interface RetryTier {
  /** 1-based, as in `<group>.retry.<index>`. */
  index: number;
  topic: string;
  delayMs: number;
}

export type RetryDecision =
  | { kind: 'retry'; tier: RetryTier; dueAt: number }
  | { kind: 'dead-letter'; topic: string; reason: 'non-retriable' | 'retries-exhausted' };

export function retryTopicName(groupId: string, index: number): string {
  return `${groupId}.retry.${index}`;
}

export function deadLetterTopicName(groupId: string): string {
  return `${groupId}.dlq`;
}

/** Validates the options once; the runtime only sees the compiled policy. */
export function compileRetryPolicy(groupId: string, options: RetryOptions = {}): RetryPolicy {
  const immediateAttempts = options.immediateAttempts ?? 3;
  const base = options.immediateBackoffMs ?? 100;
  const cap = options.maxImmediateBackoffMs ?? 2_000;
  const delays = options.tiers ?? [1_000, 10_000];
  if (!Number.isInteger(immediateAttempts) || immediateAttempts < 1) {
    throw new RangeError('retry.immediateAttempts must be an integer ≥ 1');
  }
  if (base < 0 || cap < base) throw new RangeError('retry backoff must satisfy 0 ≤ base ≤ max');
  for (const delay of delays) {
    if (!Number.isFinite(delay) || delay < 0) throw new RangeError('retry.tiers must be ≥ 0 ms');
  }
  const tiers: RetryTier[] = delays.map((delayMs, i) => ({
    index: i + 1,
    topic: retryTopicName(groupId, i + 1),
    delayMs,
  }));
  const deadLetterTopic = deadLetterTopicName(groupId);
  const byTopic = new Map(tiers.map((tier) => [tier.topic, tier.index]));

  return {
    immediateAttempts,
    tiers,
    deadLetterTopic,
    immediateBackoff(attempt, retriable) {
      if (!retriable || attempt >= immediateAttempts) return null;
      return Math.min(cap, base * 2 ** (attempt - 1));
    },
    next(tier, retriable, now) {
      if (!retriable)
        return { kind: 'dead-letter', topic: deadLetterTopic, reason: 'non-retriable' };
      const nextTier = tiers[tier];
      if (!nextTier) {
        return { kind: 'dead-letter', topic: deadLetterTopic, reason: 'retries-exhausted' };
      }
      return { kind: 'retry', tier: nextTier, dueAt: now + nextTier.delayMs };
    },
    tierOf(topic) {
      return byTopic.get(topic) ?? 0;
    },
  };
}
