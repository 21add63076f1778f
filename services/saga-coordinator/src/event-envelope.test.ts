import { describe, expect, it } from 'vitest';
import { emissionEventId } from './event-envelope';

const facts = { saga: 'order', sagaId: 'o-1', version: 3, index: 0 };

describe('emission event ids', () => {
  it('are the same for the same transition, so a repeated transition dedupes downstream', () => {
    expect(emissionEventId(facts)).toBe(emissionEventId({ ...facts }));
  });

  it('differ per emission and per state version, so a resent compensation is answered again', () => {
    const ids = new Set([
      emissionEventId(facts),
      emissionEventId({ ...facts, index: 1 }),
      emissionEventId({ ...facts, version: 4 }),
      emissionEventId({ ...facts, sagaId: 'o-2' }),
    ]);
    expect(ids.size).toBe(4);
  });

  it('are RFC 4122 UUIDs', () => {
    expect(emissionEventId(facts)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
