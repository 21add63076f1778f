import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map';

describe('bounded map', () => {
  it('forgets the oldest entry beyond its bound and keeps the newest', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('c', 3);
    expect([...map.keys()]).toEqual(['b', 'c']);
    map.set('b', 4);
    expect(map.size).toBe(2);
  });
});
