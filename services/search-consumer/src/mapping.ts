import type { BulkLane, ConsumerHandlers } from '@fanout/consumer-kit';
import type { SearchItemResult, SearchOperation } from '@fanout/downstream';

export interface SearchPorts {
  /** Document operations sent in bulk (`POST /v1/bulk`); each event awaits its own item. */
  index: BulkLane<{ operation: SearchOperation; idempotencyKey: string }, SearchItemResult>;
}

/** Document ids are namespaced by kind, so users and orders never collide. */
export const userDocumentId = (userId: string): string => `user:${userId}`;
export const orderDocumentId = (orderId: string): string => `order:${orderId}`;

/**
 * Event → search index. A user becomes a `users` document, an order an `orders` document. A
 * cancelled order is marked (`status: cancelled`) rather than removed: searches filter on the
 * status, and support can still find it. Email addresses are not indexed.
 */
export const searchHandlers: ConsumerHandlers<SearchPorts> = {
  'fanout.user.UserRegistered': async (user, { api, idempotencyKey }) => {
    await api.index.add({
      operation: {
        action: 'upsert',
        id: userDocumentId(user.userId),
        index: 'users',
        document: {
          user_id: user.userId,
          name: user.name,
          locale: user.locale,
          registered_at: user.metadata.occurredAt.toISOString(),
        },
      },
      idempotencyKey: idempotencyKey('search.upsertUser'),
    });
  },

  'fanout.order.OrderConfirmed': async (order, { api, idempotencyKey }) => {
    await api.index.add({
      operation: {
        action: 'upsert',
        id: orderDocumentId(order.orderId),
        index: 'orders',
        document: {
          order_id: order.orderId,
          customer_id: order.customerId,
          status: 'confirmed',
          total_minor: order.totalMinor,
          currency: order.currency,
          updated_at: order.metadata.occurredAt.toISOString(),
        },
      },
      idempotencyKey: idempotencyKey('search.upsertOrder'),
    });
  },

  'fanout.order.OrderCancelled': async (order, { api, idempotencyKey }) => {
    await api.index.add({
      operation: {
        action: 'upsert',
        id: orderDocumentId(order.orderId),
        index: 'orders',
        document: {
          order_id: order.orderId,
          customer_id: order.customerId,
          status: 'cancelled',
          cancellation_reason: order.reason.code,
          updated_at: order.metadata.occurredAt.toISOString(),
        },
      },
      idempotencyKey: idempotencyKey('search.markOrderCancelled'),
    });
  },
};
