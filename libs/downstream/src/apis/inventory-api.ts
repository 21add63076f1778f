import { z } from 'zod';
import type { CallResult, DownstreamClient } from '../client';

const reservationSchema = z.object({
  id: z.string(),
  order_id: z.string(),
  status: z.enum(['reserved', 'released']),
});
const outOfStockSchema = z.object({
  error: z.object({
    type: z.literal('out_of_stock'),
    sku: z.string(),
    requested: z.number(),
    available: z.number(),
  }),
});
const releaseSchema = z.object({ noop: z.boolean() }).passthrough();

export type ReserveOutcome =
  | { outcome: 'reserved'; reservationId: string }
  | { outcome: 'out_of_stock'; sku: string; requested: number; available: number };

/** The inventory API: reserve stock for an order, release it as a compensation. */
export class InventoryApi {
  constructor(readonly client: DownstreamClient) {}

  /** Out of stock is a business outcome, not an error: the saga compensates on it. */
  async reserve(
    input: { order_id: string; items: Array<{ sku: string; quantity: number }> },
    idempotencyKey: string,
  ): Promise<CallResult<ReserveOutcome>> {
    const result = await this.client.call({
      operation: 'reserve',
      method: 'POST',
      path: '/v1/reservations',
      body: input,
      idempotencyKey,
      acceptStatus: [409],
      schema: z.union([reservationSchema, outOfStockSchema]),
    });
    const data = result.data;
    const outcome: ReserveOutcome =
      'error' in data
        ? {
            outcome: 'out_of_stock',
            sku: data.error.sku,
            requested: data.error.requested,
            available: data.error.available,
          }
        : { outcome: 'reserved', reservationId: data.id };
    return { ...result, data: outcome };
  }

  /**
   * Releases every reservation of an order. Idempotent, and safe when nothing was reserved:
   * the API answers 200 with `noop: true`.
   */
  releaseOrder(
    orderId: string,
    idempotencyKey: string,
  ): Promise<CallResult<z.infer<typeof releaseSchema>>> {
    return this.client.call({
      operation: 'releaseOrder',
      method: 'POST',
      path: `/v1/orders/${encodeURIComponent(orderId)}/release`,
      idempotencyKey,
      schema: releaseSchema,
    });
  }

  /** Releases one reservation by id; an unknown id is a no-op success. */
  release(
    reservationId: string,
    idempotencyKey: string,
  ): Promise<CallResult<z.infer<typeof releaseSchema>>> {
    return this.client.call({
      operation: 'release',
      method: 'POST',
      path: `/v1/reservations/${encodeURIComponent(reservationId)}/release`,
      idempotencyKey,
      schema: releaseSchema,
    });
  }
}
