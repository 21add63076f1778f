import { describe, expect, it } from 'vitest';
import { failureHeaders, priorFailure } from './dead-letter';
import { Headers } from './message-headers';

describe('failure headers', () => {
  const original = { [Headers.messageId]: 'e-1', traceparent: '00-aa-bb-01' };

  it('counts attempts and keeps the first failure time and origin across tiers', () => {
    const first = priorFailure(original, 'users', 2, '41');
    expect(first).toEqual({
      originalTopic: 'users',
      originalPartition: 2,
      originalOffset: '41',
      attempts: 0,
      firstFailureAt: null,
    });
    const tier1 = failureHeaders(
      original,
      {
        originalTopic: 'users',
        originalPartition: 2,
        originalOffset: '41',
        errorCode: 'FANOUT_API_SERVER_ERROR',
        errorMessage: 'x'.repeat(5_000),
        retriable: true,
        attempts: 3,
        firstFailureAt: 1_000,
        lastFailureAt: 1_200,
      },
      'crm',
      { tier: 1, dueAt: 2_200 },
    );
    expect(tier1[Headers.errorMessage]).toHaveLength(1_024);
    expect(tier1[Headers.retryDueAt]).toBe('2200');
    expect(tier1[Headers.originalTraceparent]).toBe('00-aa-bb-01');
    const again = priorFailure(tier1, 'crm.retry.1', 0, '7');
    expect(again).toEqual({
      originalTopic: 'users',
      originalPartition: 2,
      originalOffset: '41',
      attempts: 3,
      firstFailureAt: 1_000,
    });
    const dlq = failureHeaders(
      tier1,
      {
        ...again,
        errorCode: 'E',
        errorMessage: 'm',
        retriable: true,
        attempts: 4,
        firstFailureAt: 1_000,
        lastFailureAt: 9_000,
      },
      'crm',
      { reason: 'retries-exhausted' },
    );
    expect(dlq[Headers.retryDueAt]).toBeUndefined();
    expect(dlq[Headers.attempts]).toBe('4');
    expect(dlq[Headers.firstFailureAt]).toBe('1000');
    expect(dlq[Headers.lastFailureAt]).toBe('9000');
    expect(dlq[Headers.deadLetterReason]).toBe('retries-exhausted');
    expect(dlq[Headers.originalTraceparent]).toBe('00-aa-bb-01');
  });

  it('writes no email, bearer token or secret query value of the error message into the headers', () => {
    const headers = failureHeaders(
      original,
      {
        originalTopic: 'users',
        originalPartition: 0,
        originalOffset: '1',
        errorCode: 'FANOUT_DECODE_FAILED',
        errorMessage:
          'body does not match schema id 7: "ada@example.com" is not a valid uuid; ' +
          'GET /v1/x?api_key=k-123 answered 401 to Bearer tok-456',
        retriable: false,
        attempts: 1,
        firstFailureAt: 1,
        lastFailureAt: 1,
      },
      'crm',
      { reason: 'poison' },
    );
    const message = headers[Headers.errorMessage];
    expect(message).toContain('body does not match schema id 7');
    for (const secret of ['ada@example.com', 'k-123', 'tok-456'])
      expect(message).not.toContain(secret);
  });
});
