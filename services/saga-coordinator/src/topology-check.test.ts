import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { SagaCoordinatorOptions } from './coordinator-options';
import type { SagaRegistry } from './saga-registry';
import { checkTopology } from './topology-check';

const topics = {
  inputs: ['orders', 'replies'],
  replies: 'replies',
  state: 'state',
  deadLetter: 'dlq',
  routes: { ReserveInventory: 'inventory' },
};

function options(
  partitions: Record<string, number> | Error,
  emitted: string[] = ['ReserveInventory'],
) {
  let disconnected = false;
  const admin = {
    connect: async () => undefined,
    disconnect: async () => {
      disconnected = true;
    },
    fetchTopicMetadata: async ({ topics: wanted }: { topics: string[] }) => {
      if (partitions instanceof Error) throw partitions;
      return {
        topics: wanted
          .filter((name) => partitions[name] !== undefined)
          .map((name) => ({ name, partitions: new Array(partitions[name]).fill({}) })),
      };
    },
  };
  const opts: Pick<SagaCoordinatorOptions, 'kafka' | 'topics' | 'sagas'> = {
    kafka: { admin: () => admin } as unknown as Kafka,
    topics,
    sagas: { emittedTypes: () => emitted } as unknown as SagaRegistry,
  };
  return { opts, disconnected: () => disconnected };
}

const sized = { orders: 4, replies: 4, state: 4, dlq: 1, inventory: 2 };

describe('checkTopology', () => {
  it('accepts co-partitioned inputs and changelog with a route for every emitted type', async () => {
    const { opts, disconnected } = options(sized);
    await expect(checkTopology(opts)).resolves.toBeUndefined();
    expect(disconnected()).toBe(true);
  });

  it('refuses missing topics', async () => {
    const { opts, disconnected } = options(new Error('UNKNOWN_TOPIC_OR_PARTITION'));
    await expect(checkTopology(opts)).rejects.toMatchObject({ code: 'SAGA_TOPICS_MISSING' });
    expect(disconnected()).toBe(true);
  });

  it('refuses inputs and changelog with different partition counts', async () => {
    const { opts } = options({ ...sized, state: 8 });
    await expect(checkTopology(opts)).rejects.toMatchObject({
      code: 'SAGA_TOPICS_NOT_COPARTITIONED',
    });
  });

  it('refuses an emitted event type without a topic', async () => {
    const { opts } = options(sized, ['ReserveInventory', 'AuthorizePayment']);
    await expect(checkTopology(opts)).rejects.toMatchObject({ code: 'SAGA_ROUTE_MISSING' });
  });
});
