import { describe, expect, it } from 'vitest';
import { newMetadata } from './event-metadata';

describe('newMetadata', () => {
  it('starts a flow: fresh UUID, correlation = own eventId, no cause', () => {
    const m = newMetadata({ producer: 'user-service' });
    expect(m.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.correlationId).toBe(m.eventId);
    expect(m.causationId).toBeNull();
    expect(m.producer).toBe('user-service');
    expect(Math.abs(m.occurredAt.getTime() - Date.now())).toBeLessThan(1000);
  });

  it('continues a flow: correlation carried on, the cause named', () => {
    const cause = newMetadata({ producer: 'order-service' });
    const m = newMetadata({ producer: 'saga-coordinator', causedBy: cause });
    expect(m.correlationId).toBe(cause.correlationId);
    expect(m.causationId).toBe(cause.eventId);
    expect(m.eventId).not.toBe(cause.eventId);
  });

  it('takes an explicit correlation id, e.g. from a request header', () => {
    expect(newMetadata({ producer: 'p', correlationId: 'req-1' }).correlationId).toBe('req-1');
  });
});
