import { describe, expect, it } from 'vitest';
import { compileRetryPolicy } from './retry-policy';

describe('retry policy', () => {
  const policy = compileRetryPolicy('crm', {
    immediateAttempts: 3,
    immediateBackoffMs: 100,
    maxImmediateBackoffMs: 150,
    tiers: [1_000, 10_000],
  });

  it('backs off between immediate attempts, doubling up to the cap, then stops', () => {
    expect(policy.immediateBackoff(1, true)).toBe(100);
    expect(policy.immediateBackoff(2, true)).toBe(150);
    expect(policy.immediateBackoff(3, true)).toBeNull();
  });

  it('gives a non-retriable failure no immediate attempt and sends it to the dead-letter topic', () => {
    expect(policy.immediateBackoff(1, false)).toBeNull();
    expect(policy.next(0, false, 0)).toEqual({
      kind: 'dead-letter',
      topic: 'crm.dlq',
      reason: 'non-retriable',
    });
  });

  it('moves a retriable failure through the tiers in order, with due times from their delays', () => {
    expect(policy.next(0, true, 5_000)).toEqual({
      kind: 'retry',
      tier: { index: 1, topic: 'crm.retry.1', delayMs: 1_000 },
      dueAt: 6_000,
    });
    expect(policy.next(1, true, 5_000)).toMatchObject({
      kind: 'retry',
      tier: { index: 2, topic: 'crm.retry.2' },
      dueAt: 15_000,
    });
    expect(policy.next(2, true, 5_000)).toEqual({
      kind: 'dead-letter',
      topic: 'crm.dlq',
      reason: 'retries-exhausted',
    });
  });

  it('knows which topics are its tiers', () => {
    expect(policy.tierOf('crm.retry.2')).toBe(2);
    expect(policy.tierOf('users')).toBe(0);
  });

  it('dead-letters at once when no tier is configured', () => {
    const none = compileRetryPolicy('g', { tiers: [] });
    expect(none.next(0, true, 0)).toMatchObject({
      kind: 'dead-letter',
      reason: 'retries-exhausted',
    });
  });

  it('refuses invalid options when compiled', () => {
    expect(() => compileRetryPolicy('g', { immediateAttempts: 0 })).toThrow(RangeError);
    expect(() => compileRetryPolicy('g', { tiers: [-1] })).toThrow(RangeError);
  });
});
