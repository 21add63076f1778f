import type { CreateShipment } from '@fanout/contracts';
import type { ShipmentInput } from '@fanout/downstream';

/**
 * CreateShipment → the shipping API's request. The API has no region field (the postal code
 * carries it for the carriers it serves), so the region is not sent.
 */
export function shipmentRequest(command: CreateShipment): ShipmentInput {
  const address = command.shippingAddress;
  return {
    order_id: command.orderId,
    service: 'standard',
    address: {
      name: address.recipientName,
      line1: address.line1,
      ...(address.line2 ? { line2: address.line2 } : {}),
      city: address.city,
      postal_code: address.postalCode,
      country: address.country,
    },
    items: command.items.map(({ sku, quantity }) => ({ sku, quantity })),
  };
}
