import { describe, expect, it } from 'vitest';
import { idempotencyKey } from './idempotency-key';

describe('idempotencyKey', () => {
  const eventId = '0b9f7a52-3f4e-4c4b-9f0a-6d1f2c3b4a5e';

  it('gives the same key for the same event and action, every time', () => {
    expect(idempotencyKey(eventId, 'crm.upsertContact')).toBe(
      idempotencyKey(eventId, 'crm.upsertContact'),
    );
  });

  it('gives different keys for different actions of one event and for different events', () => {
    const keys = new Set([
      idempotencyKey(eventId, 'crm.upsertContact'),
      idempotencyKey(eventId, 'crm.upsertDeal'),
      idempotencyKey('another-event', 'crm.upsertContact'),
      idempotencyKey('a', 'bc'),
      idempotencyKey('ab', 'c'),
    ]);
    expect(keys.size).toBe(5);
  });

  it('is UUID-shaped and carries neither input', () => {
    const key = idempotencyKey('user@example.com', 'email.welcome');
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(key).not.toContain('example');
  });

  it('refuses empty inputs', () => {
    expect(() => idempotencyKey('', 'x')).toThrow(TypeError);
    expect(() => idempotencyKey('x', '')).toThrow(TypeError);
  });
});
