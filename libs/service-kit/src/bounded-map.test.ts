import { describe, expect, it } from 'vitest';
import { BoundedMap, boundedMemo } from './bounded-map';

describe('bounded map', () => {
  it('forgets the oldest entry beyond its bound and keeps the newest', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('c', 3);
    expect([...map.keys()]).toEqual(['b', 'c']);
    map.set('b', 4);
    expect(map.size).toBe(2);
  });
});

describe('bounded memo', () => {
  it('computes each input once, undefined answers included, and recomputes what it forgot', () => {
    const calls: string[] = [];
    const upper = boundedMemo((s: string) => {
      calls.push(s);
      return s === 'none' ? undefined : s.toUpperCase();
    }, 2);
    expect([upper('a'), upper('a'), upper('none'), upper('none')]).toEqual([
      'A',
      'A',
      undefined,
      undefined,
    ]);
    expect(calls).toEqual(['a', 'none']);
    upper('b'); // forgets 'a', the oldest
    expect(upper('a')).toBe('A');
    expect(calls).toEqual(['a', 'none', 'b', 'a']);
  });
});
