import { describe, expect, it } from 'vitest';
import type { CoordinatorContext } from './coordinator-options';
import { PartitionOwnership } from './partition-ownership';

// Readiness only: an assignment without input partitions adopts nothing (no Kafka needed).
function ownership(): PartitionOwnership {
  const ctx = {
    options: { topics: { inputs: ['fanout.order.events'] } },
    clock: () => 0,
    log: { info: () => undefined, error: () => undefined },
  } as unknown as CoordinatorContext;
  return new PartitionOwnership(ctx, { deadlineOf: () => undefined, isStopping: () => false });
}

describe('saga partition ownership readiness', () => {
  it('is ready again when a heartbeat confirms the generation after a rebalance that brought no join', () => {
    const owned = ownership();
    owned.onAssignment({});
    expect(owned.isReady()).toBe(true);
    owned.joined = false; // kafkajs reported a rebalance; its rejoin failed
    expect(owned.isReady()).toBe(false);
    owned.confirmedMember();
    expect(owned.isReady()).toBe(true);
  });

  it('is not made ready by a heartbeat before its first assignment', () => {
    const owned = ownership();
    owned.confirmedMember();
    expect(owned.isReady()).toBe(false);
  });
});
