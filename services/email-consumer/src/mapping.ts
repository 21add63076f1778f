import { RetriableError } from '@fanout/errors';
import type { ConsumerHandlers } from '@fanout/consumer-kit';
import type { EmailApi } from '@fanout/downstream';
import type { RecipientLookup } from './recipients-view';

export interface EmailPorts {
  email: EmailApi;
  /** Recipient by user id: the view of the user table topic, the same in every instance. */
  recipients: RecipientLookup;
  /** How long to wait for a customer the view does not know yet before retrying. */
  recipientWaitMs: number;
}

/**
 * Event → email. Welcome on registration; confirmation and cancellation for orders, to the
 * address the customer registered with. Each send's Idempotency-Key is derived from the event,
 * so a redelivered event never sends a second email.
 */
export const emailHandlers: ConsumerHandlers<EmailPorts> = {
  'fanout.user.UserRegistered': async (user, { api, idempotencyKey }) => {
    await api.email.sendMessage(
      {
        to: user.email,
        template: 'welcome',
        reference: user.userId,
        variables: { name: user.name, locale: user.locale },
        tags: ['welcome'],
      },
      idempotencyKey('email.welcome'),
    );
  },

  'fanout.order.OrderConfirmed': async (order, { api, idempotencyKey }) => {
    const to = await recipientOf(api, order.customerId);
    await api.email.sendMessage(
      {
        to: to.email,
        template: 'order-confirmation',
        reference: order.orderId,
        variables: {
          name: to.name,
          order_id: order.orderId,
          total_minor: order.totalMinor,
          currency: order.currency,
        },
        tags: ['order', 'confirmation'],
      },
      idempotencyKey('email.orderConfirmation'),
    );
  },

  'fanout.order.OrderCancelled': async (order, { api, idempotencyKey }) => {
    const to = await recipientOf(api, order.customerId);
    await api.email.sendMessage(
      {
        to: to.email,
        template: 'order-cancellation',
        reference: order.orderId,
        variables: { name: to.name, order_id: order.orderId, reason: order.reason.message },
        tags: ['order', 'cancellation'],
      },
      idempotencyKey('email.orderCancellation'),
    );
  },
};

async function recipientOf(
  api: EmailPorts,
  customerId: string,
): Promise<{ email: string; name: string }> {
  const found = await api.recipients.lookup(customerId, api.recipientWaitMs);
  // The registration may still be on its way (the user table topic is a moment behind the
  // order's events): retry later, through the retry topics.
  if (!found) {
    throw new RetriableError('FANOUT_RECIPIENT_UNKNOWN', 'no address known yet for the customer', {
      details: { customerId },
    });
  }
  return found;
}
