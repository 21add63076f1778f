import { describe, expect, it } from 'vitest';
import { stalledPartitions, type PartitionSnapshot } from './stall-watchdog';

const snap = (entries: Record<string, [number, number]>): PartitionSnapshot =>
  new Map(
    Object.entries(entries).map(([key, [committed, end]]) => [
      key,
      { committed: BigInt(committed), end: BigInt(end) },
    ]),
  );

describe('stalled partitions', () => {
  it('a partition that received records while its committed offset stood still is stalled', () => {
    expect(stalledPartitions(snap({ 't/0': [10, 12] }), snap({ 't/0': [10, 30] }))).toEqual([
      't/0',
    ]);
  });

  it('progress, an idle partition, or a tail of aborted records and markers is not', () => {
    const before = snap({ 't/0': [10, 12], 't/1': [5, 6], 't/2': [7, 7], 't/3': [40, 58] });
    const now = snap({ 't/0': [20, 30], 't/1': [5, 6], 't/2': [7, 7], 't/3': [40, 58] });
    expect(stalledPartitions(before, now)).toEqual([]);
  });

  it('a partition seen for the first time waits for a second look', () => {
    expect(stalledPartitions(snap({}), snap({ 't/0': [0, 50] }))).toEqual([]);
  });
});
