import { describe, expect, it } from 'vitest';
import type { CreateShipment } from '@fanout/contracts';
import { shipmentRequest } from './shipment-request';

const command: CreateShipment = {
  metadata: {
    eventId: '7b0f6a5e-8d55-4f43-a0c9-0d6a1b7e9c11',
    occurredAt: new Date(0),
    correlationId: 'c-1',
    causationId: null,
    producer: 'saga-coordinator',
  },
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

describe('shipmentRequest', () => {
  it('maps the order, items and address to the shipping API and leaves out absent lines', () => {
    expect(shipmentRequest(command)).toEqual({
      order_id: 'order-1',
      service: 'standard',
      address: {
        name: 'Ada Lovelace',
        line1: '1 Analytical Way',
        city: 'London',
        postal_code: 'N1 1AA',
        country: 'GB',
      },
      items: [{ sku: 'SKU-1', quantity: 2 }],
    });
  });

  it('keeps a second address line when there is one', () => {
    const request = shipmentRequest({
      ...command,
      shippingAddress: { ...command.shippingAddress, line2: 'Flat 2' },
    });
    expect(request.address.line2).toBe('Flat 2');
  });
});
