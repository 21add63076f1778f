import { fromMinorUnits } from './currencies';
import type { Order } from './order';

/** The order as the HTTP API shows it: prices in major units, as the client sent them. */
export function orderView(order: Order) {
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    items: order.items.map((item) => ({
      sku: item.sku,
      quantity: item.quantity,
      unitPrice: fromMinorUnits(item.unitPriceMinor, order.currency),
    })),
    currency: order.currency,
    total: fromMinorUnits(order.totalMinor, order.currency),
    shippingAddress: order.shippingAddress,
    cancellationReason: order.cancellationReason,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}
