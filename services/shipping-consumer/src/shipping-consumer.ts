import { CompensationTombstones, defineConsumer, permanentApiFailure } from '@fanout/consumer-kit';
import type { ConsumerContext } from '@fanout/consumer-kit';
import type { CancelShipment, CreateShipment, StepFailure } from '@fanout/contracts';
import { ShippingApi, idempotencyKey } from '@fanout/downstream';
import { loadShippingConsumerConfig } from './config';
import { shipmentRequest } from './shipment-request';

export interface ShippingParticipant {
  shipping: ShippingApi;
  compensated: CompensationTombstones;
}

type Context = ConsumerContext<ShippingParticipant>;

/**
 * Idempotency-Keys derive from the order id (the saga id), not the command's eventId: the
 * coordinator resends a compensation as a new event, and one saga books and cancels once, so a
 * redelivered or resent command replays the API's first answer instead of acting again.
 */
export const ShippingKeys = {
  create: (orderId: string) => idempotencyKey(orderId, 'shipping.create'),
  cancel: (orderId: string) => idempotencyKey(orderId, 'shipping.cancel'),
  /** Cancelling a shipment that was booked after the order was cancelled. */
  cancelLate: (orderId: string) => idempotencyKey(orderId, 'shipping.cancel-late-shipment'),
} as const;

const cancelledFirst = (orderId: string): StepFailure => ({
  code: 'INVALID_REQUEST',
  message: `order ${orderId} was cancelled before its shipment: nothing is booked`,
  retriable: false,
});

async function fail(context: Context, orderId: string, failure: StepFailure): Promise<void> {
  await context.publish('fanout.shipping.ShipmentFailed', { orderId, failure });
}

/** CreateShipment → ShipmentCreated, or ShipmentFailed with the reason. */
async function createShipment(command: CreateShipment, context: Context): Promise<void> {
  const { shipping, compensated } = context.api;
  const { orderId } = command;
  if (compensated.has(orderId)) return fail(context, orderId, cancelledFirst(orderId));

  let shipmentId: string;
  try {
    const result = await shipping.createShipment(
      shipmentRequest(command),
      ShippingKeys.create(orderId),
    );
    shipmentId = result.data.id;
  } catch (error) {
    const failure = permanentApiFailure(error);
    if (!failure) throw error;
    return fail(context, orderId, failure);
  }

  // The cancellation ran while this booking was in flight: cancel it, report none.
  if (compensated.has(orderId)) {
    await shipping.cancelOrder(orderId, ShippingKeys.cancelLate(orderId));
    return fail(context, orderId, cancelledFirst(orderId));
  }
  await context.publish('fanout.shipping.ShipmentCreated', { orderId, shipmentId });
}

/**
 * CancelShipment → ShipmentCancelled. Cancels every shipment of the order. Safe before, after
 * or without the booking: the tombstone comes first, so a booking arriving later books
 * nothing; cancelling nothing is a success. A permanent API error has no reply to carry it: it
 * is thrown and dead-lettered.
 */
async function cancelShipment(command: CancelShipment, context: Context): Promise<void> {
  const { shipping, compensated } = context.api;
  compensated.record(command.orderId);
  await shipping.cancelOrder(command.orderId, ShippingKeys.cancel(command.orderId));
  await context.publish('fanout.shipping.ShipmentCancelled', { orderId: command.orderId });
}

/** shipping-consumer: the order saga's shipping participant. */
export const shippingConsumer = defineConsumer({
  name: 'shipping-consumer',
  api: 'shipping',
  loadConfig: loadShippingConsumerConfig,
  topics: (config) => [config.SHIPPING_COMMANDS_TOPIC],
  publishes: (config) => ({
    'fanout.shipping.ShipmentCreated': config.SAGA_REPLIES_TOPIC,
    'fanout.shipping.ShipmentFailed': config.SAGA_REPLIES_TOPIC,
    'fanout.shipping.ShipmentCancelled': config.SAGA_REPLIES_TOPIC,
  }),
  createApi: (client, { config, onClose }): ShippingParticipant => {
    const compensated = new CompensationTombstones({
      dataDir: config.DATA_DIR,
      groupId: config.CONSUMER_GROUP_ID,
      retentionMs: config.COMPENSATION_TOMBSTONE_RETENTION_MS,
    });
    onClose(() => compensated.close());
    return { shipping: new ShippingApi(client), compensated };
  },
  handlers: {
    'fanout.shipping.CreateShipment': createShipment,
    'fanout.shipping.CancelShipment': cancelShipment,
  },
});
