import type { BulkLane, ConsumerHandlers } from '@fanout/consumer-kit';
import type { TrackInput, TrackResult } from '@fanout/downstream';

export interface AnalyticsPorts {
  /** One `track` per event, sent in bulk (`POST /v1/batch`); each event awaits its own result. */
  track: BulkLane<{ input: TrackInput; idempotencyKey: string }, TrackResult>;
}

/**
 * Event → analytics track call. Every item carries its own Idempotency-Key, so a redelivered
 * event is counted once even when it lands in another batch; a rejected item fails only its
 * own event.
 */
export const analyticsHandlers: ConsumerHandlers<AnalyticsPorts> = {
  'fanout.user.UserRegistered': async (user, { api, idempotencyKey }) => {
    await api.track.add({
      input: {
        event: 'User Registered',
        user_id: user.userId,
        timestamp: user.metadata.occurredAt.toISOString(),
        properties: { locale: user.locale, marketing_consent: user.marketingConsent },
      },
      idempotencyKey: idempotencyKey('analytics.userRegistered'),
    });
  },

  'fanout.order.OrderConfirmed': async (order, { api, idempotencyKey }) => {
    await api.track.add({
      input: {
        event: 'Order Completed',
        user_id: order.customerId,
        timestamp: order.metadata.occurredAt.toISOString(),
        properties: {
          order_id: order.orderId,
          revenue_minor: order.totalMinor,
          currency: order.currency,
        },
      },
      idempotencyKey: idempotencyKey('analytics.orderCompleted'),
    });
  },

  'fanout.order.OrderCancelled': async (order, { api, idempotencyKey }) => {
    await api.track.add({
      input: {
        event: 'Order Cancelled',
        user_id: order.customerId,
        timestamp: order.metadata.occurredAt.toISOString(),
        properties: {
          order_id: order.orderId,
          reason: order.reason.code,
          failed_step: order.reason.failedStep,
        },
      },
      idempotencyKey: idempotencyKey('analytics.orderCancelled'),
    });
  },
};
