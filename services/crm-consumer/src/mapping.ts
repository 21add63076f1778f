import type { ConsumerHandlers } from '@fanout/consumer-kit';
import type { CrmApi } from '@fanout/downstream';
import { crmLocale } from './crm-locale';

/**
 * Event → CRM. A registration upserts the contact (keyed by our user id; the locale as
 * language-region, crmLocale); an order outcome
 * upserts the order's deal at its final stage, won or lost. Upserts make the mapping safe in any
 * arrival order and on redelivery (and the Idempotency-Key makes each one act once).
 */
export const crmHandlers: ConsumerHandlers<CrmApi> = {
  'fanout.user.UserRegistered': async (user, { api, idempotencyKey }) => {
    await api.upsertContact(
      user.userId,
      {
        email: user.email,
        name: user.name,
        locale: crmLocale(user.locale),
        marketing_consent: user.marketingConsent,
        properties: {
          source: 'user-service',
          registered_at: user.metadata.occurredAt.toISOString(),
        },
      },
      idempotencyKey('crm.upsertContact'),
    );
  },

  'fanout.order.OrderConfirmed': async (order, { api, idempotencyKey }) => {
    await api.upsertDeal(
      order.orderId,
      {
        contact_external_id: order.customerId,
        name: `Order ${order.orderId}`,
        amount: order.totalMinor,
        currency: order.currency,
        stage: 'won',
      },
      idempotencyKey('crm.dealWon'),
    );
  },

  'fanout.order.OrderCancelled': async (order, { api, idempotencyKey }) => {
    await api.upsertDeal(
      order.orderId,
      {
        contact_external_id: order.customerId,
        name: `Order ${order.orderId}`,
        stage: 'lost',
        reason: `${order.reason.code}: ${order.reason.message}`,
      },
      idempotencyKey('crm.dealLost'),
    );
  },
};
