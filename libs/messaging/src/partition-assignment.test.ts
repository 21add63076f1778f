import { describe, expect, it } from 'vitest';
import { isRebalance, partitionKey, PartitionAssignment, splitKey } from './partition-assignment';

describe('isRebalance', () => {
  it('recognises the errors of a group that is rebalancing', () => {
    expect(isRebalance({ type: 'REBALANCE_IN_PROGRESS' })).toBe(true);
    expect(isRebalance({ type: 'ILLEGAL_GENERATION' })).toBe(true);
    expect(isRebalance({ type: 'NOT_COORDINATOR' })).toBe(true);
  });

  it('treats any other failure as no rebalance', () => {
    expect(isRebalance({ type: 'REQUEST_TIMED_OUT' })).toBe(false);
    expect(isRebalance(new Error('boom'))).toBe(false);
    expect(isRebalance(null)).toBe(false);
  });
});

describe('partition keys', () => {
  it('split back into the topic and partition they were made of', () => {
    expect(splitKey(partitionKey('fanout.user.events', 11))).toEqual(['fanout.user.events', 11]);
  });
});

describe('PartitionAssignment', () => {
  it('creates states in the current generation', () => {
    const assignment = new PartitionAssignment(4);
    assignment.joined();
    const state = assignment.create('t', 0);
    expect(state).toMatchObject({ topic: 't', partition: 0, generation: 1, committed: -1 });
    expect(assignment.states.get(partitionKey('t', 0))).toBe(state);
  });

  it('drops idle states at a join but keeps those with work in flight', async () => {
    const assignment = new PartitionAssignment(4);
    assignment.create('t', 0);
    const busy = assignment.create('t', 1);
    let finish!: () => void;
    await busy.scheduler.submit('k', () => new Promise<void>((resolve) => (finish = resolve)));
    assignment.markRebalancing();
    assignment.joined();
    expect(assignment.generation).toBe(1);
    expect(assignment.rebalancing).toBe(false);
    expect([...assignment.states.values()]).toEqual([busy]);
    finish();
    await assignment.drainAll();
  });

  it('wakes the dispatchers waiting for room once a rebalance is seen', () => {
    const assignment = new PartitionAssignment(4);
    const state = assignment.create('t', 0);
    let woken = 0;
    state.roomWaiters.push(() => (woken += 1));
    assignment.markRebalancing();
    assignment.markRebalancing();
    expect(woken).toBe(1);
    expect(state.roomWaiters).toEqual([]);
  });

  it('dispatches again in the same generation once a heartbeat confirms it after a rebalance was reported', () => {
    const assignment = new PartitionAssignment(4);
    const state = assignment.create('t', 0);
    assignment.markRebalancing();
    let woken = 0;
    state.roomWaiters.push(() => (woken += 1));
    assignment.confirmedMember();
    expect(assignment.rebalancing).toBe(false);
    expect(assignment.generation).toBe(0);
    expect(assignment.states.get(state.key)).toBe(state);
    expect(woken).toBe(1);
  });
});
