import { z } from 'zod';
import type { CallResult, DownstreamClient } from '../client';

export interface ShipmentInput {
  order_id: string;
  service?: 'standard' | 'express';
  address: {
    name?: string;
    line1: string;
    line2?: string;
    city: string;
    postal_code: string;
    country: string;
  };
  items?: Array<{ sku: string; quantity: number }>;
}

const shipmentSchema = z.object({
  id: z.string(),
  order_id: z.string(),
  status: z.literal('created'),
  tracking_number: z.string(),
});
const cancelSchema = z.object({ noop: z.boolean() }).passthrough();

/** The shipping API: create a shipment, cancel it as a compensation. */
export class ShippingApi {
  constructor(readonly client: DownstreamClient) {}

  createShipment(
    input: ShipmentInput,
    idempotencyKey: string,
  ): Promise<CallResult<z.infer<typeof shipmentSchema>>> {
    return this.client.call({
      operation: 'createShipment',
      method: 'POST',
      path: '/v1/shipments',
      body: input,
      idempotencyKey,
      schema: shipmentSchema,
    });
  }

  /** Cancels every shipment of an order; idempotent, a no-op success when there is none. */
  cancelOrder(
    orderId: string,
    idempotencyKey: string,
  ): Promise<CallResult<z.infer<typeof cancelSchema>>> {
    return this.client.call({
      operation: 'cancelOrder',
      method: 'POST',
      path: `/v1/orders/${encodeURIComponent(orderId)}/cancel`,
      idempotencyKey,
      schema: cancelSchema,
    });
  }

  /** Cancels one shipment by id; an unknown id is a no-op success. */
  cancel(
    shipmentId: string,
    idempotencyKey: string,
  ): Promise<CallResult<z.infer<typeof cancelSchema>>> {
    return this.client.call({
      operation: 'cancel',
      method: 'POST',
      path: `/v1/shipments/${encodeURIComponent(shipmentId)}/cancel`,
      idempotencyKey,
      schema: cancelSchema,
    });
  }
}
