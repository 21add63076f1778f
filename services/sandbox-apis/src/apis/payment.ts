import { z } from 'zod';
import type { ApiResult, ApiScope } from '../api-scope';
import { nowIso, resourceId } from '../resource-id';
import { BoundedMap } from '@fanout/service-kit';
import { registerOrderScopedRoutes } from './order-scoped-resources';

export const declineRuleSchema = z
  .object({
    /** Declines amounts (minor units) at or above this. */
    amountGte: z.number().int().min(0).optional(),
    customerId: z.string().min(1).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    declineCode: z.string().min(1).default('insufficient_funds'),
  })
  .strict()
  .refine(
    (r) => r.amountGte !== undefined || r.customerId !== undefined || r.currency !== undefined,
    {
      message: 'a rule needs at least one of amountGte, customerId, currency',
    },
  );
export type DeclineRule = z.infer<typeof declineRuleSchema>;

interface Authorization {
  id: string;
  object: 'authorization';
  order_id: string;
  customer_id: string;
  amount: number;
  currency: string;
  status: 'authorized' | 'declined' | 'voided';
  decline_code: string | null;
  created_at: string;
  voided_at: string | null;
}

/** The first rule whose every set field matches, or undefined. */
function matchingRule(rules: readonly DeclineRule[], auth: Authorization): DeclineRule | undefined {
  return rules.find(
    (rule) =>
      (rule.amountGte === undefined || auth.amount >= rule.amountGte) &&
      (rule.customerId === undefined || auth.customer_id === rule.customerId) &&
      (rule.currency === undefined || auth.currency === rule.currency),
  );
}

/**
 * A payment API in the spirit of Stripe: authorizations hold an amount, or are declined by
 * rule with 402 `card_error` (the decline is stored under the Idempotency-Key and replayed,
 * as Stripe does). A void releases the hold; voids are compensations: idempotent, and a void
 * of an unknown or declined authorization answers 200 with `noop: true` and the reason.
 */
export function registerPayment(
  scope: ApiScope,
  declineRules: () => readonly DeclineRule[],
): { reset(): void } {
  const authorizations = new BoundedMap<string, Authorization>();
  const byOrder = new BoundedMap<string, string[]>();

  const voidOne = (auth: Authorization): NonNullable<ApiResult['effects']> => {
    if (auth.status !== 'authorized') return [];
    auth.status = 'voided';
    auth.voided_at = nowIso();
    return [{ operation: 'void', subject: auth.order_id, resourceId: auth.id }];
  };

  scope.write(
    'POST',
    '/v1/authorizations',
    {
      body: {
        type: 'object',
        required: ['order_id', 'customer_id', 'amount', 'currency'],
        additionalProperties: false,
        properties: {
          order_id: { type: 'string', minLength: 1, maxLength: 200 },
          customer_id: { type: 'string', minLength: 1, maxLength: 200 },
          amount: { type: 'integer', minimum: 1 },
          currency: { type: 'string', pattern: '^[A-Z]{3}$' },
          description: { type: 'string', maxLength: 500 },
        },
      },
    },
    (request) => {
      const body = request.body as Pick<
        Authorization,
        'order_id' | 'customer_id' | 'amount' | 'currency'
      >;
      const auth: Authorization = {
        id: resourceId('auth'),
        object: 'authorization',
        order_id: body.order_id,
        customer_id: body.customer_id,
        amount: body.amount,
        currency: body.currency,
        status: 'authorized',
        decline_code: null,
        created_at: nowIso(),
        voided_at: null,
      };
      const rule = matchingRule(declineRules(), auth);
      if (rule) {
        auth.status = 'declined';
        auth.decline_code = rule.declineCode;
      }
      authorizations.set(auth.id, auth);
      byOrder.set(auth.order_id, [...(byOrder.get(auth.order_id) ?? []), auth.id]);
      if (rule) {
        return {
          status: 402,
          body: {
            error: {
              type: 'card_error',
              code: 'card_declined',
              decline_code: rule.declineCode,
              message: 'the card was declined',
              authorization_id: auth.id,
            },
          },
        };
      }
      return {
        status: 201,
        body: auth,
        effects: [{ operation: 'authorize', subject: auth.order_id, resourceId: auth.id }],
      };
    },
  );

  scope.write('POST', '/v1/authorizations/:id/void', {}, (request) => {
    const id = request.params.id!;
    const auth = authorizations.get(id);
    if (!auth) {
      return {
        status: 200,
        body: { id, object: 'authorization', status: 'not_found', noop: true, reason: 'not_found' },
      };
    }
    const before = auth.status;
    const effects = voidOne(auth);
    return {
      status: 200,
      body: {
        ...auth,
        noop: effects.length === 0,
        ...(effects.length === 0
          ? { reason: before === 'declined' ? 'declined' : 'already_voided' }
          : {}),
      },
      effects,
    };
  });

  registerOrderScopedRoutes(scope, {
    collection: 'authorizations',
    noun: 'authorization',
    resources: authorizations,
    byOrder,
    undo: { verb: 'void', field: 'voided', apply: voidOne },
  });

  return {
    reset: () => {
      authorizations.clear();
      byOrder.clear();
    },
  };
}
