import { describe, expect, it } from 'vitest';
import { OffsetTracker } from './offset-tracker';

describe('OffsetTracker', () => {
  it('commits nothing until the first dispatched offset finishes', () => {
    const tracker = new OffsetTracker();
    tracker.begin(10);
    tracker.begin(11);
    tracker.complete(11);
    expect(tracker.committable()).toBeNull();
  });

  it('commits only the contiguous prefix when offsets finish out of order', () => {
    const tracker = new OffsetTracker();
    for (const offset of [0, 1, 2, 3, 4]) tracker.begin(offset);
    tracker.complete(0);
    tracker.complete(2);
    tracker.complete(3);
    expect(tracker.committable()).toBe(1);
    tracker.complete(1);
    expect(tracker.committable()).toBe(4);
    expect(tracker.inFlight).toBe(1);
    tracker.complete(4);
    expect(tracker.committable()).toBe(5);
    expect(tracker.idle).toBe(true);
  });

  it('steps over offset gaps that hold no records (compaction, transaction markers)', () => {
    const tracker = new OffsetTracker();
    tracker.begin(5);
    tracker.begin(9);
    tracker.complete(9);
    expect(tracker.committable()).toBeNull();
    tracker.complete(5);
    expect(tracker.committable()).toBe(10);
  });

  it('ignores duplicate and unknown completions', () => {
    const tracker = new OffsetTracker();
    tracker.begin(0);
    tracker.begin(1);
    tracker.complete(0);
    tracker.complete(0);
    tracker.complete(42);
    expect(tracker.committable()).toBe(1);
    expect(tracker.inFlight).toBe(1);
  });

  it('refuses offsets that go backwards', () => {
    const tracker = new OffsetTracker();
    tracker.begin(3);
    expect(() => tracker.begin(3)).toThrow(RangeError);
    expect(tracker.highestBegun).toBe(3);
  });

  it('keeps the right prefix across many completions in random order', () => {
    const tracker = new OffsetTracker();
    const offsets = Array.from({ length: 5_000 }, (_, i) => i * 2);
    for (const offset of offsets) tracker.begin(offset);
    const shuffled = [...offsets].sort(() => Math.random() - 0.5);
    const done = new Set<number>();
    for (const offset of shuffled) {
      tracker.complete(offset);
      done.add(offset);
      let expected: number | null = null;
      for (const o of offsets) {
        if (!done.has(o)) break;
        expected = o + 1;
      }
      if (done.size % 250 === 0) expect(tracker.committable()).toBe(expected);
    }
    expect(tracker.committable()).toBe(9_999);
  });

  it('counts as pending the finished offsets held behind an unfinished one', () => {
    const tracker = new OffsetTracker();
    for (const offset of [0, 1, 2, 3]) tracker.begin(offset);
    tracker.complete(1);
    tracker.complete(2);
    expect(tracker.pending).toBe(4);
    expect(tracker.inFlight).toBe(2);
    tracker.complete(0);
    expect(tracker.pending).toBe(1);
    tracker.complete(3);
    expect(tracker.pending).toBe(0);
  });
});
