import { describe, expect, it } from 'vitest';
import { EventTypeNames } from '@fanout/contracts';
import { openDatabase } from '@fanout/service-kit';
import type { Order } from './order';
import { applyOrderOutcome } from './order-outcomes';
import { OrderRepository } from './order-repository';

function pendingOrder(repository: OrderRepository, id: string): void {
  const order: Order = {
    id,
    customerId: 'c',
    status: 'PENDING',
    items: [{ sku: 'A', quantity: 1, unitPriceMinor: 100 }],
    currency: 'EUR',
    totalMinor: 100,
    shippingAddress: {
      recipientName: 'R',
      line1: 'L',
      line2: null,
      city: 'C',
      postalCode: 'P',
      region: null,
      country: 'DE',
    },
    cancellationReason: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
  repository.insert(order);
}

const reason = {
  code: 'OUT_OF_STOCK' as const,
  message: 'Sold out.',
  failedStep: 'reserve-inventory',
};

describe('order outcomes', () => {
  it('confirms a pending order once; a repeat is stale and changes nothing', () => {
    const orders = new OrderRepository(openDatabase(':memory:'));
    pendingOrder(orders, 'o1');
    expect(applyOrderOutcome(orders, EventTypeNames.OrderConfirmed, { orderId: 'o1' })).toBe(
      'applied',
    );
    expect(applyOrderOutcome(orders, EventTypeNames.OrderConfirmed, { orderId: 'o1' })).toBe(
      'ignored-stale',
    );
    expect(orders.findById('o1')?.status).toBe('CONFIRMED');
  });

  it('cancels with the reason, and a late confirmation does not resurrect the order', () => {
    const orders = new OrderRepository(openDatabase(':memory:'));
    pendingOrder(orders, 'o2');
    expect(
      applyOrderOutcome(orders, EventTypeNames.OrderCancelled, { orderId: 'o2', reason }),
    ).toBe('applied');
    expect(applyOrderOutcome(orders, EventTypeNames.OrderConfirmed, { orderId: 'o2' })).toBe(
      'ignored-stale',
    );
    expect(orders.findById('o2')).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: reason,
    });
  });

  it('ignores outcomes for unknown orders and events that are not outcomes', () => {
    const orders = new OrderRepository(openDatabase(':memory:'));
    expect(applyOrderOutcome(orders, EventTypeNames.OrderConfirmed, { orderId: 'nope' })).toBe(
      'ignored-unknown-order',
    );
    expect(applyOrderOutcome(orders, EventTypeNames.OrderPlaced, { orderId: 'nope' })).toBe(
      'ignored-other-event',
    );
  });
});
