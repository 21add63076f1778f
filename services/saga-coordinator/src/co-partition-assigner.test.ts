import { describe, expect, it } from 'vitest';
import { coPartitionPlan } from './co-partition-assigner';

describe('co-partition plan', () => {
  it('gives partition p of every topic to one member', () => {
    const plan = coPartitionPlan(['m-b', 'm-a'], ['orders', 'replies'], 6);
    for (const assignment of plan.values()) expect(assignment.orders).toEqual(assignment.replies);
    const all = [...plan.values()].flatMap((a) => a.orders!);
    expect(all.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('computes the same plan whatever order the members are listed in', () => {
    expect(coPartitionPlan(['x', 'y', 'z'], ['t'], 5)).toEqual(
      coPartitionPlan(['z', 'x', 'y'], ['t'], 5),
    );
  });

  it('leaves members beyond the partition count idle', () => {
    const plan = coPartitionPlan(['a', 'b', 'c'], ['t'], 2);
    expect([...plan.values()].map((a) => a.t!.length)).toEqual([1, 1, 0]);
  });
});
