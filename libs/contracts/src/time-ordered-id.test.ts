import { describe, expect, it } from 'vitest';
import { timeOfUuid, timeOrderedUuid } from './time-ordered-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID (RFC 9562) that carries the millisecond it was made in', () => {
    const at = Date.UTC(2026, 11, 7, 21, 30, 0, 123) + 10_000_000;
    const id = timeOrderedUuid(at);
    expect(id).toMatch(UUID_V7);
    expect(timeOfUuid(id)).toBe(at);
  });

  it('sorts in the order made, also many within one millisecond, and never repeats', () => {
    const at = Date.now() + 20_000_000;
    const ids = Array.from({ length: 10_000 }, () => timeOrderedUuid(at));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    // 10,000 ids do not fit one millisecond's counter: the later ones borrow the next ones.
    expect(timeOfUuid(ids.at(-1)!)).toBeGreaterThan(at);
    expect(timeOfUuid(ids.at(-1)!) - at).toBeLessThan(10);
  });

  it('keeps the order when the clock goes back', () => {
    const at = Date.now() + 30_000_000;
    const first = timeOrderedUuid(at);
    const afterStep = timeOrderedUuid(at - 5_000);
    expect(afterStep > first).toBe(true);
  });

  it('differs in its random bits between ids of different milliseconds', () => {
    const at = Date.now() + 40_000_000;
    const a = timeOrderedUuid(at);
    const b = timeOrderedUuid(at + 1);
    expect(a.slice(19)).not.toBe(b.slice(19));
  });
});
