import { CompensationTombstones, defineConsumer, permanentApiFailure } from '@fanout/consumer-kit';
import type { ConsumerContext } from '@fanout/consumer-kit';
import type { ReleaseInventory, ReserveInventory, StepFailure } from '@fanout/contracts';
import { InventoryApi, idempotencyKey } from '@fanout/downstream';
import { loadInventoryConsumerConfig } from './config';

export interface InventoryParticipant {
  inventory: InventoryApi;
  compensated: CompensationTombstones;
}

type Context = ConsumerContext<InventoryParticipant>;

/**
 * Idempotency-Keys derive from the order id (the saga id), not the command's eventId: the
 * coordinator resends a compensation as a new event, and one saga reserves and releases once,
 * so a redelivered or resent command replays the API's first answer instead of acting again.
 */
export const InventoryKeys = {
  reserve: (orderId: string) => idempotencyKey(orderId, 'inventory.reserve'),
  release: (orderId: string) => idempotencyKey(orderId, 'inventory.release'),
  /** Undoing a reservation that landed after the order was released. */
  releaseLate: (orderId: string) => idempotencyKey(orderId, 'inventory.release-late-reservation'),
} as const;

const releasedFirst = (orderId: string): StepFailure => ({
  code: 'INVALID_REQUEST',
  message: `order ${orderId} was released before its reservation: nothing is reserved`,
  retriable: false,
});

async function fail(context: Context, orderId: string, failure: StepFailure): Promise<void> {
  await context.publish('fanout.inventory.InventoryReservationFailed', { orderId, failure });
}

/** ReserveInventory → InventoryReserved, or InventoryReservationFailed with the reason. */
async function reserveInventory(command: ReserveInventory, context: Context): Promise<void> {
  const { inventory, compensated } = context.api;
  const { orderId } = command;
  if (compensated.has(orderId)) return fail(context, orderId, releasedFirst(orderId));

  let outcome;
  try {
    const result = await inventory.reserve(
      { order_id: orderId, items: command.items.map(({ sku, quantity }) => ({ sku, quantity })) },
      InventoryKeys.reserve(orderId),
    );
    outcome = result.data;
  } catch (error) {
    const failure = permanentApiFailure(error);
    if (!failure) throw error;
    return fail(context, orderId, failure);
  }

  if (outcome.outcome === 'out_of_stock') {
    return fail(context, orderId, {
      code: 'OUT_OF_STOCK',
      message: `not enough stock for ${outcome.sku}: requested ${outcome.requested}, available ${outcome.available}`,
      retriable: false,
    });
  }
  // The release ran while this reservation was in flight: undo it, and say nothing is reserved.
  if (compensated.has(orderId)) {
    await inventory.releaseOrder(orderId, InventoryKeys.releaseLate(orderId));
    return fail(context, orderId, releasedFirst(orderId));
  }
  await context.publish('fanout.inventory.InventoryReserved', {
    orderId,
    reservationId: outcome.reservationId,
  });
}

/**
 * ReleaseInventory → InventoryReleased. Releases every reservation of the order (the saga may
 * not know the reservation id when it compensates a reservation whose reply it never got).
 * Safe before, after or without the reservation: the tombstone comes first, so a reservation
 * arriving later reserves nothing; releasing nothing is a success. A permanent API error has no
 * reply to carry it: it is thrown and dead-lettered, and the coordinator's resend finds the DLQ.
 */
async function releaseInventory(command: ReleaseInventory, context: Context): Promise<void> {
  const { inventory, compensated } = context.api;
  compensated.record(command.orderId);
  await inventory.releaseOrder(command.orderId, InventoryKeys.release(command.orderId));
  await context.publish('fanout.inventory.InventoryReleased', { orderId: command.orderId });
}

/** inventory-consumer: the order saga's inventory participant. */
export const inventoryConsumer = defineConsumer({
  name: 'inventory-consumer',
  api: 'inventory',
  loadConfig: loadInventoryConsumerConfig,
  topics: (config) => [config.INVENTORY_COMMANDS_TOPIC],
  publishes: (config) => ({
    'fanout.inventory.InventoryReserved': config.SAGA_REPLIES_TOPIC,
    'fanout.inventory.InventoryReservationFailed': config.SAGA_REPLIES_TOPIC,
    'fanout.inventory.InventoryReleased': config.SAGA_REPLIES_TOPIC,
  }),
  createApi: (client, { config, onClose }): InventoryParticipant => {
    const compensated = new CompensationTombstones({
      dataDir: config.DATA_DIR,
      groupId: config.CONSUMER_GROUP_ID,
      retentionMs: config.COMPENSATION_TOMBSTONE_RETENTION_MS,
    });
    onClose(() => compensated.close());
    return { inventory: new InventoryApi(client), compensated };
  },
  handlers: {
    'fanout.inventory.ReserveInventory': reserveInventory,
    'fanout.inventory.ReleaseInventory': releaseInventory,
  },
});
