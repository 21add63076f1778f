import { EventTypeNames, newMetadata } from '@fanout/contracts';
import type { OrderPlaced } from '@fanout/contracts';
import type { OutboxEvent } from '@fanout/service-kit';
import type { Order } from './order';

export const PRODUCER = 'order-service';

/** The OrderPlaced event for a new order; its eventId becomes the saga's correlation id. */
export function orderPlacedEvent(order: Order, topic: string): OutboxEvent {
  const metadata = newMetadata({ producer: PRODUCER, occurredAt: new Date(order.createdAt) });
  const event: OrderPlaced = {
    metadata,
    orderId: order.id,
    customerId: order.customerId,
    items: order.items.map((item) => ({
      sku: item.sku,
      quantity: item.quantity,
      unitPriceMinor: item.unitPriceMinor,
    })),
    currency: order.currency,
    totalMinor: order.totalMinor,
    shippingAddress: order.shippingAddress,
  };
  return {
    eventId: metadata.eventId,
    aggregateId: order.id,
    topic,
    eventType: EventTypeNames.OrderPlaced,
    payload: event as unknown as Record<string, unknown>,
  };
}
