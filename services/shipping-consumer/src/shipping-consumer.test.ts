import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COORDINATOR_COMMAND_METADATA as metadata,
  ParticipantTestHarness,
} from '@fanout/consumer-kit/testing';
import type { CancelShipment, CreateShipment } from '@fanout/contracts';
import type { ShippingApi } from '@fanout/downstream';
import { NonRetriableError, RetriableError } from '@fanout/errors';
import { ShippingKeys, shippingConsumer } from './shipping-consumer';
import type { ShippingParticipant } from './shipping-consumer';

// The mapping alone, against a stand-in API: the real API and broker are in
// test/integration/participants. Here: the orderings the broker cannot produce on demand.

const create = shippingConsumer.handlers['fanout.shipping.CreateShipment']!;
const cancel = shippingConsumer.handlers['fanout.shipping.CancelShipment']!;

const createCommand: CreateShipment = {
  metadata,
  orderId: 'order-1',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  shippingAddress: {
    recipientName: 'Ada Lovelace',
    line1: '1 Analytical Way',
    line2: null,
    city: 'London',
    postalCode: 'N1 1AA',
    region: null,
    country: 'GB',
  },
};
const cancelCommand: CancelShipment = { metadata, orderId: 'order-1', shipmentId: null };

let harness: ParticipantTestHarness;

beforeEach(() => {
  harness = new ParticipantTestHarness('shipping-consumer');
});

afterEach(() => harness.close());

const contextWith = (shipping: Partial<ShippingApi>) =>
  harness.context<ShippingParticipant>({ shipping: shipping as ShippingApi });

const cancelOrder = (orderId: string, key: string) =>
  harness.compensationCall('cancelOrder')(orderId, key);

describe('shipping-consumer mapping', () => {
  it('a cancellation that runs while the booking is in flight gets the shipment cancelled, and no ShipmentCreated', async () => {
    const context = contextWith({
      createShipment: async (_input, key) => {
        harness.calls.push({ operation: 'createShipment', key });
        // The compensation overtakes the call (handled from another topic meanwhile).
        await cancel(cancelCommand, context);
        return {
          status: 201,
          data: { id: 'shp_1', order_id: 'order-1', status: 'created', tracking_number: 'T1' },
        } as never;
      },
      cancelOrder,
    });
    await create(createCommand, context);

    expect(harness.calls).toEqual([
      { operation: 'createShipment', key: ShippingKeys.create('order-1') },
      { operation: 'cancelOrder', key: ShippingKeys.cancel('order-1') },
      { operation: 'cancelOrder', key: ShippingKeys.cancelLate('order-1') },
    ]);
    expect(harness.published.map((p) => p.eventType)).toEqual([
      'fanout.shipping.ShipmentCancelled',
      'fanout.shipping.ShipmentFailed',
    ]);
  });

  it('a booking after its cancellation calls nothing and replies a non-retriable failure', async () => {
    const context = contextWith({ cancelOrder });
    await cancel(cancelCommand, context);
    await create(createCommand, context);

    expect(harness.calls.map((c) => c.operation)).toEqual(['cancelOrder']);
    expect(harness.published[1]).toMatchObject({
      eventType: 'fanout.shipping.ShipmentFailed',
      payload: { orderId: 'order-1', failure: { code: 'INVALID_REQUEST', retriable: false } },
    });
  });

  it('the cancellation tombstone survives a restart of the consumer', async () => {
    await cancel(cancelCommand, contextWith({ cancelOrder }));
    expect(harness.restart().has('order-1')).toBe(true);
  });

  it('the cancellation is recorded even when its API call fails, so the retried cancellation and a late booking stay safe', async () => {
    const context = contextWith({
      cancelOrder: async () => {
        throw new RetriableError('FANOUT_API_SERVER_ERROR', 'shipping: cancelOrder answered 503');
      },
    });
    await expect(cancel(cancelCommand, context)).rejects.toThrow('503');
    expect(harness.tombstones.has('order-1')).toBe(true);
    expect(harness.published).toEqual([]);
  });

  it('a retriable API error is rethrown for the runtime to retry, with no reply', async () => {
    const context = contextWith({
      createShipment: async () => {
        throw new RetriableError('FANOUT_API_TIMEOUT', 'shipping: createShipment timed out');
      },
    });
    await expect(create(createCommand, context)).rejects.toThrow('timed out');
    expect(harness.published).toEqual([]);
  });

  it('a permanent API error on a cancellation is thrown (dead-lettered), since no reply can carry it', async () => {
    const context = contextWith({
      cancelOrder: async () => {
        throw new NonRetriableError(
          'FANOUT_API_CLIENT_ERROR',
          'shipping: cancelOrder answered 403',
        );
      },
    });
    await expect(cancel(cancelCommand, context)).rejects.toThrow('403');
    expect(harness.published).toEqual([]);
  });
});
