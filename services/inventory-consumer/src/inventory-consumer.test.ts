import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsumerContext } from '@fanout/consumer-kit';
import type { ReleaseInventory, ReserveInventory } from '@fanout/contracts';
import type { InventoryApi } from '@fanout/downstream';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import { CompensatedOrders } from './compensated-orders';
import { InventoryKeys, inventoryConsumer } from './inventory-consumer';
import type { InventoryParticipant } from './inventory-consumer';

// The mapping alone, against a stand-in API: the real API and broker are in
// test/integration/participants. Here: the orderings the broker cannot produce on demand.

const reserve = inventoryConsumer.handlers['fanout.inventory.ReserveInventory']!;
const release = inventoryConsumer.handlers['fanout.inventory.ReleaseInventory']!;

const metadata = {
  eventId: 'e5a1f0b2-0c1d-4a55-9d1e-6f1f2a3b4c5d',
  occurredAt: new Date(0),
  correlationId: 'corr-1',
  causationId: null,
  producer: 'saga-coordinator',
};
const reserveCommand: ReserveInventory = {
  metadata,
  orderId: 'order-1',
  items: [{ sku: 'SKU-1', quantity: 2 }],
};
const releaseCommand: ReleaseInventory = { metadata, orderId: 'order-1', reservationId: null };

interface Call {
  operation: string;
  key: string;
}

let dir: string;
let compensated: CompensatedOrders;
let calls: Call[];
let published: Array<{ eventType: string; payload: Record<string, unknown> }>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inventory-consumer-'));
  compensated = new CompensatedOrders({ dataDir: dir, groupId: 'g', retentionMs: 60_000 });
  calls = [];
  published = [];
});

afterEach(() => {
  compensated.close();
  rmSync(dir, { recursive: true, force: true });
});

function contextWith(inventory: Partial<InventoryApi>): ConsumerContext<InventoryParticipant> {
  return {
    api: { inventory: inventory as InventoryApi, compensated },
    publish: async (eventType: string, payload: Record<string, unknown>) => {
      published.push({ eventType, payload });
    },
  } as unknown as ConsumerContext<InventoryParticipant>;
}

const releaseOrder = async (_orderId: string, key: string) => {
  calls.push({ operation: 'releaseOrder', key });
  return { status: 200, data: { noop: false } } as never;
};

describe('inventory-consumer mapping', () => {
  it('a release that runs while the reservation is in flight gets the reservation undone, and no InventoryReserved', async () => {
    const context = contextWith({
      reserve: async (_input, key) => {
        calls.push({ operation: 'reserve', key });
        // The compensation overtakes the call (handled from another topic meanwhile).
        await release(releaseCommand, context);
        return { status: 201, data: { outcome: 'reserved', reservationId: 'res_1' } } as never;
      },
      releaseOrder,
    });
    await reserve(reserveCommand, context);

    expect(calls).toEqual([
      { operation: 'reserve', key: InventoryKeys.reserve('order-1') },
      { operation: 'releaseOrder', key: InventoryKeys.release('order-1') },
      { operation: 'releaseOrder', key: InventoryKeys.releaseLate('order-1') },
    ]);
    expect(published.map((p) => p.eventType)).toEqual([
      'fanout.inventory.InventoryReleased',
      'fanout.inventory.InventoryReservationFailed',
    ]);
  });

  it('a reservation after its release calls nothing and replies a non-retriable failure', async () => {
    const context = contextWith({ releaseOrder });
    await release(releaseCommand, context);
    await reserve(reserveCommand, context);

    expect(calls.map((c) => c.operation)).toEqual(['releaseOrder']);
    expect(published[1]).toMatchObject({
      eventType: 'fanout.inventory.InventoryReservationFailed',
      payload: { orderId: 'order-1', failure: { code: 'INVALID_REQUEST', retriable: false } },
    });
  });

  it('the release tombstone survives a restart of the consumer', async () => {
    await release(releaseCommand, contextWith({ releaseOrder }));
    compensated.close();
    compensated = new CompensatedOrders({ dataDir: dir, groupId: 'g', retentionMs: 60_000 });
    expect(compensated.has('order-1')).toBe(true);
  });

  it('the release is recorded even when its API call fails, so the retried release and a late reservation stay safe', async () => {
    const context = contextWith({
      releaseOrder: async () => {
        throw new RetriableError('FANOUT_API_SERVER_ERROR', 'inventory: releaseOrder answered 503');
      },
    });
    await expect(release(releaseCommand, context)).rejects.toThrow('503');
    expect(compensated.has('order-1')).toBe(true);
    expect(published).toEqual([]);
  });

  it('a retriable API error is rethrown for the runtime to retry, with no reply', async () => {
    const context = contextWith({
      reserve: async () => {
        throw new RetriableError('FANOUT_API_TIMEOUT', 'inventory: reserve timed out');
      },
    });
    await expect(reserve(reserveCommand, context)).rejects.toThrow('timed out');
    expect(published).toEqual([]);
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
    expect(published).toEqual([]);
  });
});
