import { z } from 'zod';
import type { CallResult, DownstreamClient } from '../client';

const authorizationSchema = z.object({
  id: z.string(),
  order_id: z.string(),
  status: z.literal('authorized'),
});
const declineSchema = z.object({
  error: z.object({
    type: z.literal('card_error'),
    code: z.string(),
    decline_code: z.string(),
    authorization_id: z.string().optional(),
  }),
});
const voidSchema = z.object({ noop: z.boolean() }).passthrough();

export type AuthorizeOutcome =
  | { outcome: 'authorized'; authorizationId: string }
  | { outcome: 'declined'; declineCode: string; authorizationId: string | undefined };

/** The payment API: authorize an amount, void it as a compensation. */
export class PaymentApi {
  constructor(readonly client: DownstreamClient) {}

  /** A decline (402) is a business outcome, not an error: the saga compensates on it. */
  async authorize(
    input: {
      order_id: string;
      customer_id: string;
      amount: number;
      currency: string;
      description?: string;
    },
    idempotencyKey: string,
  ): Promise<CallResult<AuthorizeOutcome>> {
    const result = await this.client.call({
      operation: 'authorize',
      method: 'POST',
      path: '/v1/authorizations',
      body: input,
      idempotencyKey,
      acceptStatus: [402],
      schema: z.union([authorizationSchema, declineSchema]),
    });
    const data = result.data;
    const outcome: AuthorizeOutcome =
      'error' in data
        ? {
            outcome: 'declined',
            declineCode: data.error.decline_code,
            authorizationId: data.error.authorization_id,
          }
        : { outcome: 'authorized', authorizationId: data.id };
    return { ...result, data: outcome };
  }

  /** Voids every authorization of an order; idempotent, a no-op success when there is none. */
  voidOrder(
    orderId: string,
    idempotencyKey: string,
  ): Promise<CallResult<z.infer<typeof voidSchema>>> {
    return this.client.call({
      operation: 'voidOrder',
      method: 'POST',
      path: `/v1/orders/${encodeURIComponent(orderId)}/void`,
      idempotencyKey,
      schema: voidSchema,
    });
  }

  /** Voids one authorization by id; an unknown id is a no-op success. */
  void(
    authorizationId: string,
    idempotencyKey: string,
  ): Promise<CallResult<z.infer<typeof voidSchema>>> {
    return this.client.call({
      operation: 'void',
      method: 'POST',
      path: `/v1/authorizations/${encodeURIComponent(authorizationId)}/void`,
      idempotencyKey,
      schema: voidSchema,
    });
  }
}
