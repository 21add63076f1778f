import { describe, expect, it } from 'vitest';
import { ConsumedRecord, eventIdOf } from './consumed-event';

describe('ConsumedRecord', () => {
  it('exposes the decoded event and decodes the headers only when read', () => {
    const raw = { 'fanout.producer': Buffer.from('user-service') };
    const record = new ConsumedRecord(
      'e-1',
      { eventType: 'UserRegistered', value: { id: 1 }, schemaId: 7 },
      'user-1',
      'fanout.user.events',
      3,
      '42',
      raw,
      2,
      1,
      'fanout.user.events',
    );
    expect(record).toMatchObject({
      eventId: 'e-1',
      eventType: 'UserRegistered',
      value: { id: 1 },
      schemaId: 7,
      attempt: 2,
      retryTier: 1,
    });
    raw['fanout.producer'] = Buffer.from('changed before the first read');
    expect(record.headers).toEqual({ 'fanout.producer': 'changed before the first read' });
    raw['fanout.producer'] = Buffer.from('changed after');
    expect(record.headers['fanout.producer']).toBe('changed before the first read');
  });
});

describe('eventIdOf', () => {
  it('reads metadata.eventId of a decoded value', () => {
    expect(eventIdOf({ metadata: { eventId: 'abc' } })).toBe('abc');
  });

  it('finds no id in a value without a non-empty string eventId', () => {
    expect(eventIdOf(null)).toBeNull();
    expect(eventIdOf({ metadata: {} })).toBeNull();
    expect(eventIdOf({ metadata: { eventId: '' } })).toBeNull();
    expect(eventIdOf({ metadata: { eventId: 42 } })).toBeNull();
  });
});
