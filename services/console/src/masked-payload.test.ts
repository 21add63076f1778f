import { describe, expect, it } from 'vitest';
import { maskHeaders, maskPayload } from './masked-payload';

describe('masked payload', () => {
  it('replaces personal fields the way the logs do, keeping ids and amounts', () => {
    const masked = maskPayload({
      userId: 'u-1',
      email: 'ada@example.com',
      displayName: 'Ada',
      shippingAddress: { street: 'Main St 1', city: 'Berlin' },
      totalMinor: 1299,
      metadata: { eventId: 'e-1', occurredAt: new Date('2026-12-07T10:00:00.000Z') },
    });
    expect(masked).toEqual({
      userId: 'u-1',
      email: '[REDACTED]',
      displayName: '[REDACTED]',
      shippingAddress: '[REDACTED]',
      totalMinor: 1299,
      metadata: { eventId: 'e-1', occurredAt: '2026-12-07T10:00:00.000Z' },
    });
  });

  it("masks a user event's top-level name as the logs mask user.name", () => {
    expect(maskPayload({ userId: 'u-1', name: 'Alan Turing', locale: 'en-GB' }, 'user')).toEqual({
      userId: 'u-1',
      name: '[REDACTED]',
      locale: 'en-GB',
    });
  });

  it('scrubs an email inside free text', () => {
    expect(maskPayload({ note: 'call ada@example.com back' })).toEqual({
      note: 'call [REDACTED:email] back',
    });
  });

  it('masks secret headers by name and keeps trace context', () => {
    expect(
      maskHeaders({ authorization: 'Bearer abc', traceparent: '00-a-b-01', 'x-api-key': 'k' }),
    ).toEqual({ authorization: '[REDACTED]', traceparent: '00-a-b-01', 'x-api-key': '[REDACTED]' });
  });
});
