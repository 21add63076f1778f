import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COORDINATOR_COMMAND_METADATA as metadata,
  ParticipantTestHarness,
} from '@fanout/consumer-kit/testing';
import type { ReleaseInventory, ReserveInventory } from '@fanout/contracts';
import type { InventoryApi } from '@fanout/downstream';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import { InventoryKeys, inventoryConsumer } from './inventory-consumer';
import type { InventoryParticipant } from './inventory-consumer';

// The mapping alone, against a stand-in API: the real API and broker are in
// test/integration/participants. Here: the orderings the broker cannot produce on demand.

const reserve = inventoryConsumer.handlers['fanout.inventory.ReserveInventory']!;
const release = inventoryConsumer.handlers['fanout.inventory.ReleaseInventory']!;

const reserveCommand: ReserveInventory = {
  metadata,
  orderId: 'order-1',
  items: [{ sku: 'SKU-1', quantity: 2 }],
};
const releaseCommand: ReleaseInventory = { metadata, orderId: 'order-1', reservationId: null };

let harness: ParticipantTestHarness;

beforeEach(() => {
  harness = new ParticipantTestHarness('inventory-consumer');
});

afterEach(() => harness.close());

const contextWith = (inventory: Partial<InventoryApi>) =>
  harness.context<InventoryParticipant>({ inventory: inventory as InventoryApi });

const releaseOrder = (orderId: string, key: string) =>
  harness.compensationCall('releaseOrder')(orderId, key);

describe('inventory-consumer mapping', () => {
  it('a release that runs while the reservation is in flight gets the reservation undone, and no InventoryReserved', async () => {
    const context = contextWith({
      reserve: async (_input, key) => {
        harness.calls.push({ operation: 'reserve', key });
        // The compensation overtakes the call (handled from another topic meanwhile).
        await release(releaseCommand, context);
        return { status: 201, data: { outcome: 'reserved', reservationId: 'res_1' } } as never;
      },
      releaseOrder,
    });
    await reserve(reserveCommand, context);

    expect(harness.calls).toEqual([
      { operation: 'reserve', key: InventoryKeys.reserve('order-1') },
      { operation: 'releaseOrder', key: InventoryKeys.release('order-1') },
      { operation: 'releaseOrder', key: InventoryKeys.releaseLate('order-1') },
    ]);
    expect(harness.published.map((p) => p.eventType)).toEqual([
      'fanout.inventory.InventoryReleased',
      'fanout.inventory.InventoryReservationFailed',
    ]);
  });

  it('a reservation after its release calls nothing and replies a non-retriable failure', async () => {
    const context = contextWith({ releaseOrder });
    await release(releaseCommand, context);
    await reserve(reserveCommand, context);

    expect(harness.calls.map((c) => c.operation)).toEqual(['releaseOrder']);
    expect(harness.published[1]).toMatchObject({
      eventType: 'fanout.inventory.InventoryReservationFailed',
      payload: { orderId: 'order-1', failure: { code: 'INVALID_REQUEST', retriable: false } },
    });
  });

  it('the release tombstone survives a restart of the consumer', async () => {
    await release(releaseCommand, contextWith({ releaseOrder }));
    expect(harness.restart().has('order-1')).toBe(true);
  });

  it('the release is recorded even when its API call fails, so the retried release and a late reservation stay safe', async () => {
    const context = contextWith({
      releaseOrder: async () => {
        throw new RetriableError('FANOUT_API_SERVER_ERROR', 'inventory: releaseOrder answered 503');
      },
    });
    await expect(release(releaseCommand, context)).rejects.toThrow('503');
    expect(harness.tombstones.has('order-1')).toBe(true);
    expect(harness.published).toEqual([]);
  });

  it('a retriable API error is rethrown for the runtime to retry, with no reply', async () => {
    const context = contextWith({
      reserve: async () => {
        throw new RetriableError('FANOUT_API_TIMEOUT', 'inventory: reserve timed out');
      },
    });
    await expect(reserve(reserveCommand, context)).rejects.toThrow('timed out');
    expect(harness.published).toEqual([]);
  });

  it('a permanent API error on a release is thrown (dead-lettered), since no reply can carry it', async () => {
    const context = contextWith({
      releaseOrder: async () => {
        throw new NonRetriableError(
          'FANOUT_API_CLIENT_ERROR',
          'inventory: releaseOrder answered 403',
        );
      },
    });
    await expect(release(releaseCommand, context)).rejects.toThrow('403');
    expect(harness.published).toEqual([]);
  });
});
