import { EventTypeNames } from '@fanout/contracts';
import type { OrderCancelled, OrderConfirmed } from '@fanout/contracts';
import type { OrderRepository } from './order-repository';

export type OutcomeResult =
  | 'applied'
  | 'ignored-stale'
  | 'ignored-unknown-order'
  | 'ignored-other-event';

/**
 * Applies the saga's verdict to an order. Idempotent and order-safe: only a PENDING order
 * moves, so a redelivered event, or a late one that contradicts the first verdict, changes
 * nothing and is reported as stale.
 */
export function applyOrderOutcome(
  orders: OrderRepository,
  eventType: string,
  value: unknown,
  now = new Date(),
): OutcomeResult {
  let orderId: string;
  let applied: boolean;
  if (eventType === EventTypeNames.OrderConfirmed) {
    orderId = (value as OrderConfirmed).orderId;
    applied = orders.finish(orderId, 'CONFIRMED', null, now.toISOString());
  } else if (eventType === EventTypeNames.OrderCancelled) {
    const cancelled = value as OrderCancelled;
    orderId = cancelled.orderId;
    applied = orders.finish(orderId, 'CANCELLED', cancelled.reason, now.toISOString());
  } else {
    return 'ignored-other-event';
  }
  if (applied) return 'applied';
  return orders.findById(orderId) === undefined ? 'ignored-unknown-order' : 'ignored-stale';
}
